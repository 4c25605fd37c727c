"""Mail to people joining an organization, each in the recipient's language: invitations, the
owner's link and the owner's code. A failed send is reported, never raised: the record stands
and the sender can pass the link on."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.models import Invitation, OwnerClaim, User
from supportdesk.accounts.services import OWNER_CODE_MINUTES

log = logging.getLogger(__name__)


def absolute(path: str, request: HttpRequest | None = None) -> str:
    """A link to this site: from the request's host, else (command line) ``SITE_URL``."""
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL.rstrip("/") + path


def _send(to: str, language: str, subject: Promise, template: str, context: dict) -> bool:
    with translation.override(language or settings.LANGUAGE_CODE):
        text = str(subject) % {k: v for k, v in context.items() if isinstance(v, str)}
        body = render_to_string(template, context)
    try:
        send_mail(text, body, settings.DEFAULT_FROM_EMAIL, [to])
    except Exception as exc:  # the record stands; the sender passes the link on
        log.warning("mail to %s failed: %s", to, exc)
        return False
    return True


def invitation_link(secret: str, request: HttpRequest | None = None) -> str:
    return absolute(reverse("accept_invitation", args=[secret]), request)


def send_invitation(invitation: Invitation, link: str, inviter: User) -> bool:
    context = {
        "invitation": invitation,
        "link": link,
        "inviter": inviter,
        "name": str(inviter),
        "organization": str(invitation.organization),
    }
    return _send(
        invitation.email,
        invitation.language,
        _("%(name)s invites you to the support portal of %(organization)s"),
        "accounts/invitation_email.txt",
        context,
    )


def owner_link(secret: str, request: HttpRequest | None = None) -> str:
    return absolute(reverse("owner_claim", args=[secret]), request)


def send_owner_link(claim: OwnerClaim, link: str) -> bool:
    context = {"claim": claim, "link": link, "organization": str(claim.organization)}
    return _send(
        claim.email,
        claim.language,
        _("Confirm that you are the owner of %(organization)s"),
        "accounts/owner_email.txt",
        context,
    )


def send_owner_code(claim: OwnerClaim, code: str) -> bool:
    context = {
        "claim": claim,
        "code": code,
        "minutes": OWNER_CODE_MINUTES,
        "organization": str(claim.organization),
    }
    return _send(
        claim.email,
        claim.language,
        _("Your code for %(organization)s: %(code)s"),
        "accounts/owner_code_email.txt",
        context,
    )
