"""Who may see and act on what: one rule for every page, API operation and channel.

Every model a person can reach has a queryset built on ``RestrictedQuerySet``; pages and the
API ask it ``restrict(user, action)`` (or ``visible_to(user)``, the same for reading) and never
filter by hand. The rule, in the desk's own words:

- Agents work for a brand (a provider on a shared desk): they see and act on what belongs to
  their brand and on what belongs to no brand (an unknown sender's mail to no provider's
  address). Superusers, and agents granted every brand, see everything. A desk serving one
  provider configures no brand, so every agent sees everything, as a desk of one should.
- Customers see their own organization's records, narrowed by role where the model says so
  (a member their own cases, an administrator the whole organization's).
- Anyone else sees nothing; what someone may not see is a 404, never a leak.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from django.contrib.auth.decorators import login_required
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from supportdesk.accounts.models import Contact, User

M = TypeVar("M", bound=models.Model)


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"


def is_agent(user: "User | AnonymousUser | None") -> bool:
    return user is not None and user.is_authenticated and user.is_active and user.is_agent


def works_the_desk(user: "User | AnonymousUser | None") -> bool:
    """Agents, and superusers (who configure the desk), read beyond one organization."""
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_agent or user.is_superuser)
    )


class AllBrands:
    """The scope of someone who sees every brand."""

    def __repr__(self) -> str:
        return "ALL_BRANDS"


ALL_BRANDS = AllBrands()

#: A brand's id, ``None`` (no brand: unbranded records only), or ``ALL_BRANDS``.
BrandScope = int | AllBrands | None


def brand_scope(user: "User") -> BrandScope:
    """The brand whose records this desk user works on (besides unbranded ones): its id,
    ``None`` (an agent of no brand: unbranded records only), or ``ALL_BRANDS``."""
    if user.is_superuser:
        return ALL_BRANDS
    agent = getattr(user, "agent", None)
    if agent is None:
        return None
    return ALL_BRANDS if agent.all_brands else agent.brand_id


def brand_filter(path: str, scope: BrandScope) -> Q:
    """Rows whose brand (at ``path``) is in the scope; unbranded rows are everyone's."""
    if scope is ALL_BRANDS:
        return Q()
    unbranded = Q(**{f"{path}__isnull": True})
    return unbranded if scope is None else unbranded | Q(**{path: scope})


class RestrictedQuerySet(models.QuerySet[M]):
    """A queryset that knows who is asking (NetBox's ``restrict(user, action)``).

    Subclasses name where the row's brand is (``brand_path``) and what a customer contact may
    reach (``for_contact``); by default a customer reaches nothing.
    """

    #: The lookup from this model to its brand; rows with none there are every agent's.
    brand_path: ClassVar[str] = "brand"

    def restrict(self, user: "User | AnonymousUser | None", action: Action = Action.VIEW) -> Self:
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if works_the_desk(user):
            return self.for_desk(user, action)
        contact = user.contact_or_none
        if contact is None:
            return self.none()
        return self.for_contact(contact, action)

    def visible_to(self, user: "User | AnonymousUser | None") -> Self:
        return self.restrict(user, Action.VIEW)

    def for_desk(self, user: "User", action: Action) -> Self:
        scope = brand_scope(user)
        return self if scope is ALL_BRANDS else self.filter(brand_filter(self.brand_path, scope))

    def for_contact(self, contact: "Contact", action: Action) -> Self:
        return self.none()


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a page behind ``login_required`` or ``agent_required``: someone signed
    in, so its user is a ``User`` (never the anonymous one)."""

    user: "User"


def agent_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Workspace pages: agents only; anyone else gets the 404 a missing page would give."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_agent(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
