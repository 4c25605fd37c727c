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
    if user.is_agent:  # the agent row is already loaded for the page's access checks
        brand_id = user.agent.brand_id
        return Brand.objects.filter(pk=brand_id).first() if brand_id is not None else None
    return Brand.objects.filter(organizations__contacts__user=user).first()


def brand(request: HttpRequest) -> dict:
    """``brand_name``: the provider's name in the reader's language, for the page header
    (empty on a desk without brands); read from the database only when a page shows it."""

    def name() -> str:
        found = brand_of(request.user)
        return found.name_in(get_language()) if found is not None else ""

    return {"brand_name": SimpleLazyObject(name)}
