"""Remote help on the case pages: the agent asks, starts and ends; the customer consents.

Thin: reads through ``visible_to``, writes through ``services``; a refusal becomes a message on
the page. The consent page serves only a signed-in customer who sees the case (its contact, or
an administrator of its organization); anyone else gets the 404 a missing page would give,
whatever link they hold.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportdesk.accounts.access import Action, AuthenticatedHttpRequest, agent_required
from supportdesk.accounts.throttle import client_address
from supportdesk.remote import services
from supportdesk.remote.errors import RemoteError
from supportdesk.remote.forms import EndSessionForm, StartSessionForm
from supportdesk.remote.models import ConsentRequest, RemoteSession
from supportdesk.tickets.models import Case


def _back_to_case(pk: int) -> HttpResponse:
    return redirect(reverse("case_detail", args=[pk]) + "#remote")


def _attempt(request: AuthenticatedHttpRequest, action: Callable[[], object], success: str) -> None:
    try:
        action()
    except RemoteError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)


@agent_required
@require_POST
def ask(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(Case.objects.restrict(request.user, Action.CHANGE), pk=pk)
    _attempt(
        request,
        lambda: services.ask_consent(case, agent=request.user),
        _("Consent asked: the customer has 15 minutes to give it."),
    )
    return _back_to_case(pk)


@agent_required
@require_POST
def start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(Case.objects.restrict(request.user, Action.CHANGE), pk=pk)
    form = StartSessionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for problem in errors:
                messages.error(request, str(problem))
        return _back_to_case(pk)
    data = form.cleaned_data
    _attempt(
        request,
        lambda: services.start_session(
            case,
            agent=request.user,
            tool=data["tool"],
            session_id=data["session_id"],
            password_typed_by_user=data["password_typed_by_user"],
        ),
        _("Remote session started."),
    )
    return _back_to_case(pk)


@agent_required
@require_POST
def end(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(
        RemoteSession.objects.restrict(request.user, Action.CHANGE), pk=session_id
    )
    form = EndSessionForm(request.POST)
    form.is_valid()
    _attempt(
        request,
        lambda: services.end_session(
            session, agent=request.user, notes=form.cleaned_data.get("notes", "")
        ),
        _("Remote session ended."),
    )
    return _back_to_case(session.case_id)


def _consent_page(request: AuthenticatedHttpRequest, found: ConsentRequest) -> HttpResponse:
    """What the customer consents to, and the button; posting it gives the consent."""
    contact = request.user.contact_or_none
    if contact is None:
        raise Http404
    if request.method == "POST":
        try:
            services.give_consent(
                found,
                contact=contact,
                ip=client_address(request) or None,
                user_agent=request.headers.get("user-agent", ""),
            )
        except RemoteError as error:
            messages.error(request, error.message)
            return redirect(request.path)
        messages.success(request, _("Thank you: the agent may now connect to your computer, once."))
        return redirect("my_case", pk=found.case_id)
    context = {
        "consent": found,
        "case": found.case,
        "state": found.state(timezone.now()),
    }
    return render(request, "remote/consent.html", context)


def _visible_requests(request: AuthenticatedHttpRequest):
    return ConsentRequest.objects.visible_to(request.user).select_related(
        "case", "asked_by", "consented_by", "session"
    )


@login_required
def consent(request: AuthenticatedHttpRequest, pk: int, request_id: int) -> HttpResponse:
    """The consent page from the portal's case page."""
    found = get_object_or_404(_visible_requests(request), case_id=pk, pk=request_id)
    return _consent_page(request, found)


@login_required
def consent_link(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """The consent page from the link in the mail or text."""
    found = _visible_requests(request).filter(digest=ConsentRequest.hash(token)).first()
    if found is None:
        raise Http404
    return _consent_page(request, found)
