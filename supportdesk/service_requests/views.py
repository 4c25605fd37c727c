"""Request pages. The portal: the request types a person may submit, a form per type, and each
request's page with its promised dates. The desk: ticking the checklist and marking milestones
from the case page. Thin: reads through ``visible_to``, writes through the services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportdesk.accounts.access import Action, AuthenticatedHttpRequest, agent_required
from supportdesk.accounts.throttle import client_address
from supportdesk.service_requests import display, services
from supportdesk.service_requests.forms import RequestForm
from supportdesk.service_requests.letter import consent_text
from supportdesk.service_requests.models import RequestType, ServiceRequest
from supportdesk.tickets.choices import Channel
from supportdesk.tickets.errors import CaseError


def _contact(request: AuthenticatedHttpRequest):
    contact = request.user.contact_or_none
    if contact is None:
        raise Http404
    return contact


@login_required
def request_types(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What the person may ask for, and their organization's requests so far."""
    if request.user.is_agent:
        return redirect("queue")
    contact = _contact(request)
    submitted = (
        ServiceRequest.objects.visible_to(request.user)
        .select_related("request_type", "case")
        .order_by("-submitted_at")[:50]
    )
    context = {
        "types": services.submittable(contact),
        "requests": submitted,
    }
    return render(request, "service_requests/request_types.html", context)


@login_required
def new_request(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    contact = _contact(request)
    request_type = get_object_or_404(RequestType.objects.visible_to(request.user), slug=slug)
    refusal = services.refusal(contact, request_type)
    if refusal is not None:
        context = {"request_type": request_type, "refusal": refusal}
        return render(request, "service_requests/refused.html", context, status=403)
    form = RequestForm(request_type.definitions(), request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        values, files = form.submission()
        try:
            submitted = services.submit_request(
                request_type,
                contact=contact,
                values=values,
                files=files,
                channel=Channel.WEB,
                actor=request.user,
                address=client_address(request),
            )
        except services.RequestError as error:
            form.problems = error.problems or {error.field or "": error.message}
            if not error.problems:
                messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Your request %(case)s is submitted.") % {"case": submitted.case.label},
            )
            return redirect("service_request", pk=submitted.pk)
    now = timezone.now()
    calendar = services.organization_calendar(contact, Channel.WEB, now)
    promised = [
        services.promise(calendar, now, metric, days)
        for metric, days in request_type.milestones().items()
    ]
    context = {
        "request_type": request_type,
        "form": form,
        "groups": form.groups(),
        "consent": consent_text(contact.organization),
        "milestones": [
            display.MilestoneView(p.metric, p.local(p.start), p.local(p.end), p.end, None, None)
            for p in promised
        ],
    }
    return render(request, "service_requests/new_request.html", context)


@login_required
def request_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if request.user.is_agent:
        return redirect("case_detail", pk=pk)
    submitted = get_object_or_404(
        ServiceRequest.objects.visible_to(request.user).select_related("request_type", "case"),
        pk=pk,
    )
    clocks = list(submitted.case.clocks.all())
    context = {
        "submitted": submitted,
        "case": submitted.case,
        "fields": display.field_views(submitted),
        "milestones": display.milestones(submitted, clocks),
    }
    return render(request, "service_requests/request.html", context)


def _changeable(request: AuthenticatedHttpRequest, pk: int) -> ServiceRequest:
    return get_object_or_404(
        ServiceRequest.objects.restrict(request.user, Action.CHANGE).select_related("case"),
        pk=pk,
    )


@agent_required
@require_POST
def tick_item(request: AuthenticatedHttpRequest, pk: int, index: int) -> HttpResponse:
    submitted = _changeable(request, pk)
    try:
        services.tick(submitted, index, done=request.POST.get("done") == "1", actor=request.user)
    except CaseError as error:
        messages.error(request, error.message)
    return redirect("case_detail", pk=pk)


@agent_required
@require_POST
def meet_milestone(request: AuthenticatedHttpRequest, pk: int, metric: str) -> HttpResponse:
    submitted = _changeable(request, pk)
    try:
        services.meet_milestone(submitted, metric, actor=request.user)
    except CaseError as error:
        messages.error(request, error.message)
    return redirect("case_detail", pk=pk)
