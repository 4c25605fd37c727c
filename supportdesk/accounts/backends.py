"""How a signed-in person is loaded on each request."""

from django.contrib.auth.backends import ModelBackend

from supportdesk.accounts.models import User

#: What nearly every page asks of its reader: a customer's organization and its brand, or
#: the agent row (an agent's brand is read only by the pages that show it).
READER_RELATIONS = ("contact__organization__brand", "agent")


class AccountBackend(ModelBackend):
    """Django's password check, and the person with their contact or agent row in the one
    query every page makes to load them, instead of a query for each as the page asks."""

    def get_user(self, user_id: int) -> User | None:
        try:
            user = User._default_manager.select_related(*READER_RELATIONS).get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


#: Named where a page signs a person in itself (with several backends Django must be told).
PATH = f"{__name__}.{AccountBackend.__name__}"
