"""Sign in, password reset, the owner's link, an organization's people for its administrators
(invitations, roles, deactivation, history), preferences.

Thin views: people are written through ``accounts.services``; Django's auth views do the
password reset (its token, its mail), with our templates and a form that also lets a
registered contact without a password set one.
"""

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from supportdesk.accounts import backends, mail, services
from supportdesk.accounts.access import AuthenticatedHttpRequest
from supportdesk.accounts.choices import ADMIN_ROLES, GRANTABLE_ROLES
from supportdesk.accounts.forms import (
    AcceptInvitationForm,
    InvitationFileForm,
    InvitationForm,
    OwnerAccountForm,
    OwnerCodeForm,
    PreferencesForm,
    ResetForm,
    RoleForm,
    SignInForm,
)
from supportdesk.accounts.middleware import viewer_zone
from supportdesk.accounts.models import Contact, Invitation, OrganizationEvent, OwnerClaim
from supportdesk.accounts.throttle import client_address


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


def _inviting_contact(request: AuthenticatedHttpRequest) -> Contact:
    """The signed-in administrator (or owner) of an organization, or a 404 for anyone else."""
    contact = request.user.contact_or_none
    if contact is None or contact.role not in ADMIN_ROLES:
        raise Http404
    return contact


def _announce(request: AuthenticatedHttpRequest, invitation: Invitation, secret: str) -> None:
    """Mail the invitation; when the mail fails, show the administrator the link to pass on."""
    link = mail.invitation_link(secret, request)
    if mail.send_invitation(invitation, link, request.user):
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
    else:
        messages.warning(
            request,
            _("The invitation mail could not be sent. Give %(email)s this link: %(link)s")
            % {"email": invitation.email, "link": link},
        )


@login_required
def invitations(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The organization's people, pending invitations and history, for its administrators."""
    contact = _inviting_contact(request)
    organization = contact.organization
    form = InvitationForm(request.POST or None, initial={"language": translation.get_language()})
    if request.method == "POST" and form.is_valid():
        try:
            invitation, secret = services.invite_contact(
                organization,
                invited_by=request.user,
                ip=client_address(request),
                **form.cleaned_data,
            )
        except services.InvitationError as error:
            form.add_error(None, str(error))
        else:
            _announce(request, invitation, secret)
            return redirect("invitations")
    return _people_page(request, contact, form=form)


def _people_page(
    request: AuthenticatedHttpRequest,
    contact: Contact,
    *,
    form: InvitationForm | None = None,
    file_form: InvitationFileForm | None = None,
    file_errors: list[tuple[int, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    organization = contact.organization
    context = {
        "organization": organization,
        "me": contact,
        "form": form or InvitationForm(initial={"language": translation.get_language()}),
        "file_form": file_form or InvitationFileForm(),
        "file_errors": file_errors or [],
        "roles": GRANTABLE_ROLES,
        "pending": organization.invitations.filter(accepted_at__isnull=True).select_related(
            "invited_by"
        ),
        "contacts": organization.contacts.select_related("user").prefetch_related("addresses"),
        "events": OrganizationEvent.objects.visible_to(request.user)
        .filter(organization=organization)
        .select_related("actor")[:50],
    }
    return render(request, "accounts/invitations.html", context, status=status)


@login_required
@require_POST
def invitation_file(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Invite everyone in a CSV file, or no one: the page lists each wrong line."""
    contact = _inviting_contact(request)
    file_form = InvitationFileForm(request.POST, request.FILES)
    if not file_form.is_valid():
        return _people_page(request, contact, file_form=file_form, status=400)
    try:
        text = file_form.cleaned_data["file"].read().decode("utf-8-sig")
        issued = services.invite_many(
            contact.organization,
            services.read_invitations(text),
            invited_by=request.user,
            ip=client_address(request),
        )
    except UnicodeDecodeError:
        errors = [(1, _("Save the file as CSV in UTF-8."))]
        return _people_page(request, contact, file_errors=errors, status=400)
    except services.InvitationRowsError as error:
        return _people_page(request, contact, file_errors=error.errors, status=400)
    except services.InvitationError as error:
        return _people_page(request, contact, file_errors=[(1, str(error))], status=400)
    for invitation, secret in issued:
        _announce(request, invitation, secret)
    return redirect("invitations")


def _pending(request: AuthenticatedHttpRequest, pk: int) -> Invitation:
    organization = _inviting_contact(request).organization
    return get_object_or_404(organization.invitations.filter(accepted_at__isnull=True), pk=pk)


@login_required
@require_POST
def invitation_resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = _pending(request, pk)
    secret = services.resend_invitation(invitation, actor=request.user, ip=client_address(request))
    _announce(request, invitation, secret)
    return redirect("invitations")


@login_required
@require_POST
def invitation_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = _pending(request, pk)
    services.revoke_invitation(invitation, actor=request.user, ip=client_address(request))
    messages.success(
        request, _("The invitation to %(email)s is revoked.") % {"email": invitation.email}
    )
    return redirect("invitations")


def _person(request: AuthenticatedHttpRequest, pk: int) -> Contact:
    organization = _inviting_contact(request).organization
    return get_object_or_404(organization.contacts.select_related("user"), pk=pk)


@login_required
@require_POST
def person_role(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    form = RoleForm(request.POST)
    try:
        if not form.is_valid():
            raise services.PeopleError(_("Choose a role."))
        services.change_role(
            person, form.cleaned_data["role"], actor=request.user, ip=client_address(request)
        )
    except services.PeopleError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(name)s is now: %(role)s.")
            % {"name": person.name, "role": person.get_role_display()},
        )
    return redirect("invitations")


@login_required
@require_POST
def person_active(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_active(person, active, actor=request.user, ip=client_address(request))
    except services.PeopleError as error:
        messages.error(request, str(error))
    else:
        done = (
            _("%(name)s can sign in again.")
            if active
            else _("%(name)s can no longer sign in; their cases stay.")
        )
        messages.success(request, done % {"name": person.name})
    return redirect("invitations")


def accept_invitation(request: HttpRequest, secret: str) -> HttpResponse:
    invitation = services.pending_invitation(secret)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None, initial={"name": invitation.name})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_invitation(
                invitation,
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password1"],
                ip=client_address(request),
            )
        except services.AddressTaken as error:
            context = {"reason": str(error)}
            return render(request, "accounts/invitation_invalid.html", context, status=400)
        except services.InvitationError:
            return render(request, "accounts/invitation_invalid.html", status=404)
        login(request, user, backend=backends.PATH)
        messages.success(request, _("Welcome! Your account is ready."))
        return _remember_language(redirect("home"), user.language)
    return render(
        request, "accounts/accept_invitation.html", {"invitation": invitation, "form": form}
    )


def _verified_key(claim: OwnerClaim) -> str:
    return f"owner_claim_verified_{claim.pk}"


def owner_claim(request: HttpRequest, secret: str) -> HttpResponse:
    """The buyer's link: opening it sends the code; the code (then, for a new person, a name
    and password) makes them the owner. Only the browser that typed the code may finish."""
    claim = services.pending_owner_claim(secret)
    if claim is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    ip = client_address(request)
    now = timezone.now()
    verified = claim.verified_at is not None and request.session.get(_verified_key(claim))
    code_form, account_form, status = OwnerCodeForm(), None, 200
    if verified and services.owner_needs_password(claim):
        account_form = OwnerAccountForm(
            request.POST if request.method == "POST" else None, initial={"name": claim.name}
        )
    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            _mail_code(request, claim, now, ip)
        except services.OwnerError as error:
            messages.warning(request, str(error))
        return redirect("owner_claim", secret)
    if request.method == "POST" and verified:
        if account_form is None or account_form.is_valid():
            try:
                user = services.claim_ownership(
                    claim,
                    name=account_form.cleaned_data["name"] if account_form else "",
                    password=account_form.cleaned_data["password1"] if account_form else None,
                    ip=ip,
                )
            except services.PeopleError as error:
                refusal = {"reason": str(error)}
                return render(request, "accounts/invitation_invalid.html", refusal, status=400)
            request.session.pop(_verified_key(claim), None)
            login(request, user, backend=backends.PATH)
            messages.success(
                request,
                _("You are the owner of %(organization)s.") % {"organization": claim.organization},
            )
            return _remember_language(redirect("invitations"), user.language)
        status = 400
    elif request.method == "POST":
        code_form = OwnerCodeForm(request.POST)
        if code_form.is_valid():
            try:
                services.check_owner_code(claim, code_form.cleaned_data["code"], ip=ip)
            except services.OwnerError as error:
                code_form.add_error("code", str(error))
                status = 400
            else:
                request.session[_verified_key(claim)] = True
                return redirect("owner_claim", secret)
        else:
            status = 400
    elif (
        not verified and not services.code_usable(claim, now) and not services.code_wait(claim, now)
    ):
        try:
            _mail_code(request, claim, now, ip)
        except services.OwnerError as error:  # the link sent all its codes
            messages.warning(request, str(error))
        claim.refresh_from_db()
    context: dict[str, object] = {
        "claim": claim,
        "verified": verified,
        "code_form": code_form,
        "account_form": account_form,
        "wait": services.code_wait(claim, now),
        "minutes": services.OWNER_CODE_MINUTES,
    }
    return render(request, "accounts/owner_claim.html", context, status=status)


def _mail_code(request: HttpRequest, claim: OwnerClaim, now: datetime, ip: str) -> None:
    code = services.send_owner_code(claim, now=now, ip=ip)
    if not mail.send_owner_code(claim, code):
        messages.warning(request, _("The code could not be mailed. Try again in a minute."))


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
