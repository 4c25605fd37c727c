"""Sign in, password reset, invitations by an organization's administrator, preferences.

Thin views: people are written through ``accounts.services``; Django's auth views do the
password reset (its token, its mail), with our templates and a form that also lets a
registered contact without a password set one.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from supportdesk.accounts import services
from supportdesk.accounts.access import AuthenticatedHttpRequest
from supportdesk.accounts.choices import ADMIN_ROLES
from supportdesk.accounts.forms import (
    AcceptInvitationForm,
    InvitationForm,
    PreferencesForm,
    ResetForm,
    SignInForm,
)
from supportdesk.accounts.middleware import viewer_zone

log = logging.getLogger(__name__)


def _remember_language(response: HttpResponse, language: str) -> HttpResponse:
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        return _remember_language(response, form.get_user().language)


def locked_out(
    request: HttpRequest, response: HttpResponse, credentials: dict | None
) -> HttpResponse:
    """What a sign-in form answers while its budget of failures is spent: the form again, saying
    for how long. A token's refusal is the API's own answer (``credentials`` is None there)."""
    if credentials is None:
        return response
    minutes = settings.SIGNIN_LOCKOUT_MINUTES
    lockout = ngettext(
        "Too many failed sign-ins. Try again in %(minutes)s minute.",
        "Too many failed sign-ins. Try again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}
    form = SignInForm(request, initial={"username": credentials.get("username", "")})
    context = {"form": form, "lockout": lockout, "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)


class ResetView(auth_views.PasswordResetView):
    form_class = ResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("password_reset_complete")


def _inviting_contact(request: AuthenticatedHttpRequest):
    """The signed-in administrator of an organization, or a 404 for anyone else."""
    contact = request.user.contact_or_none
    if contact is None or contact.role not in ADMIN_ROLES:
        raise Http404
    return contact


@login_required
def invitations(request: AuthenticatedHttpRequest) -> HttpResponse:
    contact = _inviting_contact(request)
    organization = contact.organization
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, secret = services.invite_contact(
                organization,
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except services.InvitationError as error:
            form.add_error("email", str(error))
        else:
            link = request.build_absolute_uri(reverse("accept_invitation", args=[secret]))
            if _send_invitation(invitation, link, request.user):
                messages.success(
                    request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
                )
            else:
                messages.warning(
                    request,
                    _("The invitation mail could not be sent. Give %(email)s this link: %(link)s")
                    % {"email": invitation.email, "link": link},
                )
            return redirect("invitations")
    context = {
        "organization": organization,
        "form": form,
        "pending": organization.invitations.filter(accepted_at__isnull=True).select_related(
            "invited_by"
        ),
        "contacts": organization.contacts.select_related("user").prefetch_related("addresses"),
    }
    return render(request, "accounts/invitations.html", context)


def _send_invitation(invitation, link: str, inviter) -> bool:
    context = {"invitation": invitation, "link": link, "inviter": inviter}
    subject = _("%(name)s invites you to the support portal of %(organization)s") % {
        "name": inviter,
        "organization": invitation.organization,
    }
    body = render_to_string("accounts/invitation_email.txt", context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    except Exception as exc:  # the invitation stands; the admin passes the link on
        log.warning("invitation mail to %s failed: %s", invitation.email, exc)
        return False
    return True


def accept_invitation(request: HttpRequest, secret: str) -> HttpResponse:
    invitation = services.pending_invitation(secret)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None, initial={"name": invitation.name})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_invitation(
                invitation, name=form.cleaned_data["name"], password=form.cleaned_data["password1"]
            )
        except services.AddressTaken as error:
            context = {"reason": str(error)}
            return render(request, "accounts/invitation_invalid.html", context, status=400)
        except services.InvitationError:
            return render(request, "accounts/invitation_invalid.html", status=404)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect("home")
    return render(
        request, "accounts/accept_invitation.html", {"invitation": invitation, "form": form}
    )


@login_required
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    initial = {
        "timezone": str(viewer_zone(request)),
        "language": user.language or translation.get_language(),
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.save_preferences(
            user,
            timezone_name=form.cleaned_data["timezone"],
            language=form.cleaned_data["language"],
        )
        translation.activate(user.language)
        messages.success(request, _("Your preferences are saved."))
        return _remember_language(redirect("preferences"), user.language)
    return render(request, "accounts/preferences.html", {"form": form})


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """The language menu: a cookie for everyone, and the person's preference when signed in."""
    language = request.POST.get("language", "")
    target = request.POST.get("next", "/")
    # Back to a page of this site, named by its path: anything else (another site, or a word
    # that ``redirect`` would take for a view's name) goes to the home page.
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    if language not in dict(settings.LANGUAGES):
        return HttpResponseRedirect(target)
    if request.user.is_authenticated and request.user.language != language:
        services.save_preferences(
            request.user, timezone_name=request.user.timezone, language=language
        )
    return _remember_language(HttpResponseRedirect(target), language)
