"""Who is who: the caller, their tokens, organizations, contacts and agents."""

from datetime import datetime
from typing import Annotated

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as HttpStatus

from supportdesk.accounts import mail
from supportdesk.accounts.access import works_the_desk
from supportdesk.accounts.models import Agent, ApiToken, Contact, Organization
from supportdesk.accounts.services import OwnerError, invite_owner, issue_token, revoke_token
from supportdesk.accounts.throttle import client_address
from supportdesk.api import errors
from supportdesk.api.auth import caller, session_auth, via_token
from supportdesk.api.paging import paged
from supportdesk.api.schemas import (
    MAX_LIMIT,
    MAX_OFFSET,
    Address,
    AgentPage,
    Body,
    ContactOut,
    ContactPage,
    Id,
    Input,
    MeOut,
    Name,
    NewTokenOut,
    OrganizationOut,
    OrganizationPage,
    Slug,
    TokenIn,
    TokenOut,
)
from supportdesk.plans.contracts import in_force_among
from supportdesk.plans.models import Contract

router = Router()


class PageQuery(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ContactQuery(PageQuery):
    organization: Slug | None = Field(None, description="Organization slug.")


class AgentQuery(PageQuery):
    team: Slug | None = Field(None, description="Team slug.")


# --- the caller ---------------------------------------------------------------------------


@router.get("/me", response={200: MeOut, **errors.AUTHENTICATED}, tags=["people"])
def me(request: HttpRequest) -> dict:
    """Who the API thinks you are; a browser session also receives its CSRF cookie here."""
    user = caller(request)
    if not via_token(request):
        get_token(request)
    contact = user.contact_or_none
    return {
        "email": user.email,
        "name": user.name,
        "agent": user.is_agent,
        "level": user.agent.level if user.is_agent else None,
        "organization": contact.organization.slug if contact else None,
        "role": contact.role if contact else None,
    }


def _token(token: ApiToken) -> dict:
    return {"id": token.pk, "name": token.name, "created_at": token.created_at}


@router.post(
    "/tokens", response={201: NewTokenOut, **errors.WRITE}, auth=[session_auth], tags=["tokens"]
)
def create_token(request: HttpRequest, payload: TokenIn) -> HttpStatus[dict]:
    """Mint a personal token for scripts. Only from a signed-in browser session, so that a
    leaked token cannot mint itself successors; the secret is shown this once."""
    user = caller(request)
    secret = issue_token(user, payload.name)
    token = ApiToken.objects.get(digest=ApiToken.hash(secret))
    return HttpStatus(201, {**_token(token), "secret": secret})


@router.get("/tokens", response={200: list[TokenOut], **errors.AUTHENTICATED}, tags=["tokens"])
def list_tokens(request: HttpRequest) -> list[dict]:
    return [_token(t) for t in caller(request).api_tokens.order_by("created_at", "id")]


@router.delete(
    "/tokens/{token_id}",
    response={204: None, **errors.AUTHENTICATED, 403: errors.Error, **errors.READ_ONE},
    tags=["tokens"],
)
def delete_token(request: HttpRequest, token_id: Id) -> HttpStatus[None]:
    """Revoke one of your own tokens (another user's is a 404)."""
    if not revoke_token(caller(request), token_id):
        raise Http404
    return HttpStatus(204, None)


# --- organizations and contacts -----------------------------------------------------------


def _organization(org: Organization) -> dict:
    contract = in_force_among(org.contracts.all(), timezone.now())
    return {
        "slug": org.slug,
        "name": org.name,
        "plan": contract.plan.slug if contract else None,
        "contract": {
            "plan": contract.plan.slug,
            "start": contract.start,
            "end": contract.end,
            "designated_email": contract.designated_email,
            "designated_phone": contract.designated_phone,
            "calendar": contract.business_calendar.slug,
            "account_manager": (
                contract.account_manager.name or contract.account_manager.email
                if contract.account_manager
                else None
            ),
        }
        if contract
        else None,
    }


def _organizations(request: HttpRequest):
    contracts = Contract.objects.select_related(
        "plan", "plan__calendar", "calendar", "account_manager"
    )
    return Organization.objects.visible_to(caller(request)).prefetch_related(
        Prefetch("contracts", contracts.order_by("-start"))
    )


@router.get("/organizations", response={200: OrganizationPage, **errors.READ}, tags=["people"])
def list_organizations(request: HttpRequest, page: Query[PageQuery]) -> dict:
    """Agents: their brand's organizations; customers: their own."""
    organizations = _organizations(request)
    return paged(organizations.order_by("name", "id"), page, _organization)


@router.get(
    "/organizations/{slug}", response={200: OrganizationOut, **errors.READ_ONE}, tags=["people"]
)
def get_organization(request: HttpRequest, slug: Slug) -> dict:
    org = _organizations(request).filter(slug=slug).first()
    if org is None:
        raise Http404
    return _organization(org)


def _contact(contact: Contact) -> dict:
    return {
        "id": contact.pk,
        "organization": contact.organization.slug,
        "name": contact.name,
        "role": contact.role,
        "email": contact.email,
        "phone": contact.phone,
        "language": contact.language,
        "extension": contact.extension,
    }


def _contacts(request: HttpRequest):
    return (
        Contact.objects.visible_to(caller(request))
        .select_related("organization")
        .prefetch_related("addresses")
    )


@router.get("/contacts", response={200: ContactPage, **errors.READ}, tags=["people"])
def list_contacts(request: HttpRequest, query: Query[ContactQuery]) -> dict:
    """Agents: their brand's customers; a customer administrator: their organization; a member:
    themselves."""
    contacts = _contacts(request)
    if query.organization is not None:
        contacts = contacts.filter(organization__slug=query.organization)
    return paged(contacts.order_by("name", "id"), query, _contact)


@router.get(
    "/contacts/{contact_id}", response={200: ContactOut, **errors.READ_ONE}, tags=["people"]
)
def get_contact(request: HttpRequest, contact_id: Id) -> dict:
    contact = _contacts(request).filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    return _contact(contact)


class OwnerIn(Input):
    email: Address = Field(description="The buyer's email address: the link and code go there.")
    name: Name | None = None
    language: Annotated[str, Field(max_length=8)] = Field(
        "", description="The mails' language, one of the desk's (en, pl, pt); empty: the default."
    )
    note: Body = Field(
        "", description="Why the current owner is replaced; required when there is one."
    )


class OwnerClaimOut(Schema):
    organization: str
    email: str
    expires_at: datetime = Field(description="Until when the mailed link works.")
    mailed: bool = Field(description="False: the mail failed; record the owner again.")


@router.post(
    "/organizations/{slug}/owner",
    response={201: OwnerClaimOut, **errors.WRITE_ONE},
    tags=["people"],
)
def record_owner(request: HttpRequest, slug: Slug, payload: OwnerIn) -> HttpStatus[dict]:
    """Agents only: record who bought the organization's plan. They get a link by email;
    opening it mails them a 6-digit code, which makes them the owner. A current owner is
    replaced only with a ``note`` saying why (else 422 naming ``note``)."""
    user = caller(request)
    if not works_the_desk(user):
        raise errors.forbidden(_("Only the provider's agents record an organization's owner."))
    org = Organization.objects.visible_to(user).filter(slug=slug).first()
    if org is None:
        raise Http404
    try:
        claim, secret = invite_owner(
            org,
            email=payload.email,
            by=user,
            name=payload.name or "",
            language=payload.language,
            note=payload.note,
            ip=client_address(request),
        )
    except OwnerError as error:
        field = (
            "note"
            if org.contacts.filter(role="owner").exists() and not payload.note.strip()
            else "email"
        )
        raise errors.FieldInvalid(field, str(error)) from None
    mailed = mail.send_owner_link(claim, mail.owner_link(secret, request))
    return HttpStatus(
        201,
        {
            "organization": org.slug,
            "email": claim.email,
            "expires_at": claim.expires_at,
            "mailed": mailed,
        },
    )


# --- agents -------------------------------------------------------------------------------


@router.get("/agents", response={200: AgentPage, **errors.READ, 403: errors.Error}, tags=["people"])
def list_agents(request: HttpRequest, query: Query[AgentQuery]) -> dict:
    """Agents only: who can be assigned, at which level, in which teams."""
    user = caller(request)
    if not works_the_desk(user):
        raise errors.forbidden(_("Only agents can list agents."))
    agents = Agent.objects.visible_to(user)
    if query.team is not None:
        agents = agents.filter(teams__slug=query.team)
    rows = agents.select_related("user").prefetch_related("teams").order_by("user__name", "id")
    return paged(rows, query, _agent)


def _agent(agent: Agent) -> dict:
    return {
        "id": agent.user_id,
        "email": agent.user.email,
        "name": agent.user.name,
        "level": agent.level,
        "teams": sorted(t.slug for t in agent.teams.all()),
    }
