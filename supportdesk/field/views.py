"""Field pages: the case page's steps (decide, schedule, arrive, leave, take, lend, return),
a technician's day list for the phone, and the loaner pool. Thin: they read through
``visible_to``/``restrict`` and write through ``field.services``."""

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from operator import attrgetter

from django.contrib import messages
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportdesk.accounts.access import Action, AuthenticatedHttpRequest, agent_required
from supportdesk.accounts.models import Agent, User
from supportdesk.assets.choices import DeviceClass
from supportdesk.field import services
from supportdesk.field.forms import (
    DecideVisitForm,
    DepartForm,
    LoanerForm,
    ScheduleVisitForm,
)
from supportdesk.field.models import Loaner, LoanerIssue, Repair, Visit
from supportdesk.tickets.errors import CaseError
from supportdesk.tickets.models import Case


@dataclass
class CaseField:
    """The case's visits, repairs and loans, and the forms for the next step."""

    visits: list[Visit]
    repairs: list[Repair]
    loans: list[LoanerIssue]
    decide_form: DecideVisitForm
    depart_form: DepartForm
    schedule_form: ScheduleVisitForm
    loaner_form: LoanerForm

    @property
    def visit_under_way(self) -> bool:
        return any(not visit.done for visit in self.visits)


@agent_required
def case_section(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The case page's field section, fetched once the page is shown (so the case page keeps
    its few queries); without JavaScript, a page of its own."""
    case = get_object_or_404(
        Case.objects.visible_to(request.user).select_related("asset", "organization"), pk=pk
    )
    field = CaseField(
        visits=list(Visit.objects.filter(case=case).select_related("technician")),
        repairs=list(Repair.objects.filter(case=case).select_related("asset")),
        loans=list(LoanerIssue.objects.filter(case=case).select_related("loaner", "contact")),
        decide_form=DecideVisitForm(),
        depart_form=DepartForm(),
        schedule_form=ScheduleVisitForm(user=request.user),
        loaner_form=LoanerForm(user=request.user),
    )
    template = "field/_case_field.html" if request.headers.get("HX-Request") else "field/case.html"
    return render(request, template, {"case": case, "field": field})


def _case(request: AuthenticatedHttpRequest, pk: int) -> Case:
    return get_object_or_404(Case.objects.restrict(request.user, Action.CHANGE), pk=pk)


def _back(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """To the page the step was taken on (the day list), else the case's field section."""
    if request.POST.get("next") == "day":
        return redirect(reverse("field:day") + f"?date={request.POST.get('date', '')}")
    return redirect(reverse("case_detail", args=[case_id]) + "#field")


def _refused(request: AuthenticatedHttpRequest, form: Form) -> None:
    for errors in form.errors.values():
        for problem in errors:
            messages.error(request, str(problem))


@agent_required
@require_POST
def decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = DecideVisitForm(request.POST)
    if form.is_valid():
        try:
            services.decide_visit(case, actor=request.user, purpose=form.cleaned_data["purpose"])
        except CaseError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("On-site visit decided."))
    else:
        _refused(request, form)
    return _back(request, pk)


def _visit(request: AuthenticatedHttpRequest, visit_id: int) -> Visit:
    return get_object_or_404(
        Visit.objects.restrict(request.user, Action.CHANGE).select_related("case"), pk=visit_id
    )


@agent_required
@require_POST
def schedule(request: AuthenticatedHttpRequest, visit_id: int) -> HttpResponse:
    visit = _visit(request, visit_id)
    form = ScheduleVisitForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.schedule_visit(
                visit,
                technician=data["technician"],
                start=data["start"],
                end=data["end"],
                address=data["address"],
                actor=request.user,
            )
        except CaseError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Visit scheduled."))
    else:
        _refused(request, form)
    return _back(request, visit.case_id)


@agent_required
@require_POST
def arrive(request: AuthenticatedHttpRequest, visit_id: int) -> HttpResponse:
    visit = _visit(request, visit_id)
    try:
        services.arrive(visit, actor=request.user)
    except CaseError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Arrival recorded."))
    return _back(request, visit.case_id)


@agent_required
@require_POST
def depart(request: AuthenticatedHttpRequest, visit_id: int) -> HttpResponse:
    visit = _visit(request, visit_id)
    form = DepartForm(request.POST)
    if form.is_valid():
        try:
            services.depart(visit, report=form.cleaned_data["report"], actor=request.user)
        except CaseError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Departure and report recorded."))
    else:
        _refused(request, form)
    return _back(request, visit.case_id)


@agent_required
@require_POST
def take(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The case's device is taken (set the device on the case first)."""
    case = _case(request, pk)
    try:
        services.take_for_repair(case, actor=request.user)
    except CaseError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Device taken for repair."))
    return _back(request, pk)


@agent_required
@require_POST
def return_repair(request: AuthenticatedHttpRequest, repair_id: int) -> HttpResponse:
    repair = get_object_or_404(Repair.objects.restrict(request.user, Action.CHANGE), pk=repair_id)
    try:
        services.return_repair(repair, actor=request.user)
    except CaseError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Device returned; any loaner is asked back."))
    return _back(request, repair.case_id)


@agent_required
@require_POST
def lend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = LoanerForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.issue_loaner(
                case,
                loaner=form.cleaned_data["loaner"],
                disk_moved=form.cleaned_data["disk_moved"],
                actor=request.user,
            )
        except CaseError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Loaner issued."))
    else:
        _refused(request, form)
    return _back(request, pk)


@agent_required
@require_POST
def return_loaner(request: AuthenticatedHttpRequest, issue_id: int) -> HttpResponse:
    issue = get_object_or_404(
        LoanerIssue.objects.restrict(request.user, Action.CHANGE), pk=issue_id
    )
    try:
        services.return_loaner(issue, actor=request.user)
    except CaseError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Loaner back in the pool."))
    if request.POST.get("next") == "pool":
        return redirect("field:loaners")
    return _back(request, issue.case_id)


def _day(request: AuthenticatedHttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()


@agent_required
def day(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A technician's visits of one day, in order, with where and what for: their own, or
    (for a dispatcher) the technician chosen."""
    technicians = User.objects.filter(
        technician__isnull=False, agent__in=Agent.objects.visible_to(request.user)
    ).order_by("name", "email")
    chosen = request.GET.get("technician", "")
    technician = request.user
    if chosen.isdigit():
        technician = get_object_or_404(technicians, pk=int(chosen))
    shown = _day(request)
    visible = Visit.objects.visible_to(request.user)
    zone = timezone.get_current_timezone_name()
    context = {
        "technician": technician,
        "technicians": technicians,
        "day": shown,
        "visits": services.day_list(visible, technician, shown, zone),
        "previous": shown - timedelta(days=1),
        "next": shown + timedelta(days=1),
    }
    return render(request, "field/day.html", context)


@agent_required
def loaners(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The pool by class: what is in, what is out (to whom, since when, asked back or not)."""
    pool = list(Loaner.objects.visible_to(request.user).order_by("device_class", "serial"))
    out = {
        issue.loaner_id: issue
        for issue in LoanerIssue.objects.filter(
            loaner__in=pool, returned_at__isnull=True
        ).select_related("case", "contact", "contact__organization")
    }
    labels = dict(DeviceClass.choices)
    classes = [
        (labels[kind], [{"loaner": loaner, "issue": out.get(loaner.pk)} for loaner in group])
        for kind, group in groupby(pool, key=attrgetter("device_class"))
    ]
    context = {"classes": classes, "out": len(out), "total": len(pool)}
    return render(request, "field/loaners.html", context)
