"""What every page knows about who is reading it."""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from supportdesk.accounts.models import Brand, User


def brand_of(user: User | AnonymousUser) -> Brand | None:
    """The provider a person deals with: a customer's organization's, an agent's own."""
    if not user.is_authenticated:
        return None
    # The sign-in backend loads the contact or agent row with the person (``READER_RELATIONS``).
    if user.is_agent:
        return user.agent.brand
    contact = user.contact_or_none
    return contact.organization.brand if contact is not None else None


def brand(request: HttpRequest) -> dict:
    """``brand_name``: the provider's name in the reader's language, for the page header
    (empty on a desk without brands); read from the database only when a page shows it."""

    def name() -> str:
        found = brand_of(request.user)
        return found.name_in(get_language()) if found is not None else ""

    return {"brand_name": SimpleLazyObject(name)}
