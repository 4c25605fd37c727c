"""Server-rendered case pages: the agent workspace (queue, case page with its billing, SLA
dashboard) and the customer portal (cases, new case, case page). Thin: they read through
``visible_to`` and write through the services; what someone may not see is a 404, never a
leak."""

import calendar as pycalendar
import csv
from collections.abc import Iterable
from datetime import date, timedelta
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import ChoiceField
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from supportdesk.accounts.access import Action, AuthenticatedHttpRequest, agent_required
from supportdesk.accounts.choices import ADMIN_ROLES
from supportdesk.assets.models import Asset
from supportdesk.billing import context as billing
from supportdesk.desk import services as desk_services
from supportdesk.desk.forms import (
    BulkForm,
    CaseControlsForm,
    CustomerReplyForm,
    MonthForm,
    NewCaseForm,
    ReplyForm,
    SavedViewForm,
)
from supportdesk.desk.models import Macro, SavedView
from supportdesk.plans.choices import Entitlement, Metric, Way
from supportdesk.plans.contracts import in_force
from supportdesk.plans.entitlements import channel_access, may, who_may
from supportdesk.plans.matrix import granted_to
from supportdesk.status import page as status_page
from supportdesk.status import services as status_services
from supportdesk.tickets import attachments, dashboard, display, queue, services
from supportdesk.tickets.choices import Channel, MessageKind, OutboxStatus, Status
from supportdesk.tickets.errors import CaseError
from supportdesk.tickets.models import Attachment, Case

PAGE_SIZE = 50


class DeskRequest(AuthenticatedHttpRequest):
    """A signed-in request with what the middleware adds: htmx's details, the CSP nonce."""

    htmx: HtmxDetails
    csp_nonce: str


def optional_template(name: str) -> str | None:
    """A template another part of the desk may provide (billing, knowledge), if it does."""
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return None
    return name


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    return redirect("queue" if request.user.is_agent else "my_cases")


# ----------------------------------------------------------------------------- agent queue


#: What a queue row shows of a case and its relations (no passwords or bodies loaded).
QUEUE_FIELDS = (
    "reference", "subject", "priority", "status", "channel", "covered", "coverage_code",
    "coverage_param", "next_due", "organization__name", "assignee__name", "assignee__email",
    "team__name",
)  # fmt: skip


def _queue_context(request: AuthenticatedHttpRequest, *, with_filters: bool = True) -> dict:
    now = timezone.now()
    selected = queue.QueueFilter.from_query(request.GET, request.user)
    cases = (
        selected.cases(request.user, now)
        .select_related("organization", "assignee", "team")
        .only(*QUEUE_FIELDS)
    )
    number = queue.page_number(request.GET.get("page"))
    if selected.by_due:
        page = queue.fetch_page(cases, number, PAGE_SIZE)
    else:
        page = queue.simple_page(cases, number, PAGE_SIZE)
    counts = queue.cached_counts(selected)
    page.total = queue.total(selected, counts)
    # Labels once per request: a model's get_FOO_display() rebuilds its choices on each call.
    status = {value: str(label) for value, label in Status.choices}
    channel = {value: str(label) for value, label in Channel.choices}
    metric = {value: str(label) for value, label in Metric.choices}
    clocks = queue.running_clocks(page.rows)
    failed_mail = queue.failed_mail(page.rows)
    rows = []
    for case in page:
        clock = clocks.get(case.pk)
        text, urgency = display.time_left(clock, now) if clock else ("", "none")
        rows.append(
            {
                "case": case,
                "left": text,
                "urgency": urgency,
                "metric": metric[clock.metric] if clock else "",
                "status": status.get(case.status, case.status),
                "channel": channel.get(case.channel, case.channel),
                "mail_failed": case.pk in failed_mail,
            }
        )
    context = {
        "page": page,
        "rows": rows,
        "selected": selected,
        "counts": counts,
        "options": queue.options(selected, counts) if with_filters else None,
        "now": now,
        "filters": urlencode(selected.active),
    }
    if with_filters:
        context["saved_views"] = SavedView.objects.visible_to(request.user)
        context["bulk_form"] = BulkForm()
        context["view_form"] = SavedViewForm()
    return context


@agent_required
def queue_page(request: DeskRequest) -> HttpResponse:
    """The queue; htmx's periodic refresh of the rows gets only the rows."""
    if request.htmx and request.htmx.target == "queue-results":
        context = _queue_context(request, with_filters=False)
        return render(request, "tickets/_queue_results.html", context)
    return render(request, "tickets/queue.html", _queue_context(request))


@agent_required
def queue_counts(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The filter bar with a count beside every value (computed, then cached a few seconds)."""
    now = timezone.now()
    selected = queue.QueueFilter.from_query(request.GET, request.user)
    counts = queue.cached_counts(selected) or queue.compute_counts(selected, request.user, now)
    context = {
        "selected": selected,
        "counts": counts,
        "options": queue.options(selected, counts),
        "total": queue.total(selected, counts),
        "oob": True,
    }
    return render(request, "tickets/_queue_filters.html", context)


# ------------------------------------------------------------------------ agent case page


def _case_for_agent(request: AuthenticatedHttpRequest, pk: int) -> Case:
    return get_object_or_404(
        Case.objects.visible_to(request.user).select_related(
            "organization",
            "contact",
            "contact__user",
            "plan",
            "plan__calendar",
            "assignee",
            "team",
            "asset",
            "service_request__request_type",
            "service_request__submitted_by",
        ),
        pk=pk,
    )


def _conversation(case: Case, *, public_only: bool):
    messages_ = case.messages.select_related("author").prefetch_related("attachments")
    if public_only:
        messages_ = messages_.exclude(kind=MessageKind.NOTE)
    return messages_


def _controls(case: Case) -> list[dict]:
    """The handling selects, as plain choices (a form's widgets render each option through a
    template of its own, which is most of a case page's time with many agents)."""
    form = CaseControlsForm(organization=case.organization)
    current = {
        "status": case.status,
        "priority": case.priority,
        "level": case.level,
        "assignee": case.assignee_id,
        "team": case.team_id,
        "asset": case.asset_id,
    }
    controls = []
    for name, field in form.fields.items():
        control = cast(ChoiceField, field)  # every control is a choice
        # Django normalises the choices to (value, label) pairs; the stubs type what it accepts.
        pairs = cast(Iterable[tuple[object, object]], control.choices)
        choices = [(str(value), str(label)) for value, label in pairs]
        controls.append(
            {
                "name": name,
                "id": f"id_{name}",
                "label": control.label,
                "choices": choices,
                "value": "" if current[name] is None else str(current[name]),
            }
        )
    return controls


def _reply_form(case: Case, agent, macros: list[dict], chosen: str | None) -> ReplyForm:
    """The reply box, filled with a canned reply when one is chosen (without JavaScript the
    page is asked for again with ``?macro=``)."""
    macro = next((m for m in macros if str(m["pk"]) == chosen), None)
    if macro is None:
        return ReplyForm()
    return ReplyForm(initial={"body": macro["body"], "status": macro["status"]})


@agent_required
def case_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case_for_agent(request, pk)
    now = timezone.now()
    clocks = list(case.clocks.select_related("calendar", "target"))
    contract = in_force(case.organization, now)
    contact = case.contact
    addresses = list(contact.addresses.all()) if contact else []
    entitled = []
    if case.plan is not None and contact is not None:
        entitled = granted_to(case.plan, contact.role)
    values = desk_services.macro_values(case, request.user)
    macros = [
        {
            "pk": macro.pk,
            "name": macro.name,
            "status": macro.status,
            "body": desk_services.render_macro(macro.body, values),
        }
        for macro in Macro.objects.visible_to(request.user)
    ]
    context = {
        "case": case,
        "clocks": display.clock_views(clocks, now),
        "conversation": _conversation(case, public_only=False),
        "events": display.history(case.events.select_related("actor")),
        "reply_form": _reply_form(case, request.user, macros, request.GET.get("macro")),
        "macros": macros,
        "kb_links_template": optional_template("knowledge/_insert_links.html"),
        "controls": _controls(case),
        "contract": contract,
        "addresses": addresses,
        "entitled": entitled,
        "outbox": case.outbox.order_by("-created_at")[:10],
        "failed_mail": case.outbox.filter(status=OutboxStatus.FAILED).order_by("-created_at"),
        "now": now,
    }
    context["billing_template"] = "billing/_case_time.html"
    context["case_time"] = billing.case_time(case, request.user, request.session)
    return render(request, "tickets/case_detail.html", context)


@agent_required
@require_POST
def case_reply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(Case.objects.restrict(request.user, Action.CHANGE), pk=pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachments.post_reply(
                case,
                author=request.user,
                body=form.cleaned_data["body"],
                public=form.cleaned_data["public"],
                files=form.cleaned_data["attachments"],
                status=form.cleaned_data["status"] or None,
            )
        except CaseError as error:
            messages.error(request, error.message)
        else:
            sent = _("Reply sent.") if form.cleaned_data["public"] else _("Internal note added.")
            messages.success(request, sent)
    else:
        for errors in form.errors.values():
            for problem in errors:
                messages.error(request, str(problem))
    return redirect("case_detail", pk=pk)


@agent_required
@require_POST
def case_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(Case.objects.restrict(request.user, Action.CHANGE), pk=pk)
    form = CaseControlsForm(request.POST, organization=case.organization)
    if not form.is_valid():
        messages.error(request, _("Check the values and try again."))
        return redirect("case_detail", pk=pk)
    data = form.cleaned_data
    changes = services.CaseChanges(
        priority=data["priority"],
        assignee=data["assignee"],
        team=data["team"],
        level=data["level"],
        status=data["status"],
        asset=data["asset"],
        no_asset="asset" in request.POST and data["asset"] is None,
    )
    try:
        services.update_case(case, changes, actor=request.user)
    except CaseError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Case updated."))
    return redirect("case_detail", pk=pk)


# ------------------------------------------------------------------------- SLA dashboard


def _month(request: AuthenticatedHttpRequest) -> tuple[date, MonthForm | None]:
    """The month asked for (this month when none is), or this month and the form that says
    why the one asked for cannot be shown."""
    form = MonthForm(request.GET)
    if not form.is_valid():
        return timezone.localdate().replace(day=1), form
    return form.cleaned_data["month"] or timezone.localdate().replace(day=1), None


@agent_required
def sla_dashboard(request: DeskRequest) -> HttpResponse:
    month, refused = _month(request)
    report = dashboard.build(month, timezone.get_current_timezone(), request.user)
    previous = (month - timedelta(days=1)).replace(day=1)
    following = month + timedelta(days=pycalendar.monthrange(month.year, month.month)[1])
    context = {
        "report": report,
        "month": month,
        "previous": previous,
        "following": following,
        "chart": dashboard.breach_chart(report, nonce=request.csp_nonce),
        "form": refused or MonthForm(initial={"month": month.strftime("%Y-%m")}),
    }
    return render(request, "tickets/dashboard.html", context, status=400 if refused else 200)


@agent_required
def sla_dashboard_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    month, refused = _month(request)
    if refused is not None:
        return HttpResponse(
            " ".join(str(e) for e in refused.errors["month"]),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    report = dashboard.build(month, timezone.get_current_timezone(), request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sla-{month:%Y-%m}.csv"'
    writer = csv.writer(response)
    writer.writerow(dashboard.CSV_COLUMNS)
    writer.writerows(dashboard.csv_rows(report))
    return response


# ------------------------------------------------------------------------ customer portal


def _portal_contact(request: AuthenticatedHttpRequest):
    contact = request.user.contact_or_none
    if contact is None:
        raise Http404
    return contact


@login_required
def my_cases(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A customer's cases, newest first (agents work from the queue)."""
    if request.user.is_agent:
        return redirect("queue")
    show = request.GET.get("show", "open")
    cases = Case.objects.visible_to(request.user)
    if show == "open":
        cases = cases.exclude(status__in=(Status.RESOLVED, Status.CLOSED))
    cases = cases.select_related("contact").order_by("-received_at", "-id")
    page = queue.simple_page(cases, queue.page_number(request.GET.get("page")), PAGE_SIZE)
    contact = request.user.contact_or_none
    context = {
        "page": page,
        "show": show,
        "is_admin": contact is not None and contact.role in ADMIN_ROLES,
        "chat_template": optional_template("knowledge/_chat_widget.html"),
    }
    return render(request, "tickets/my_cases.html", context)


def _follow_up(request: AuthenticatedHttpRequest) -> dict[str, str]:
    """``?follow_up=<case>``: a new case that names the closed one it continues."""
    raw = request.GET.get("follow_up", "")
    earlier = (
        Case.objects.visible_to(request.user).filter(pk=int(raw)).first()
        if raw.isdigit() and len(raw) <= 18
        else None
    )
    if earlier is None:
        return {}
    return {
        "subject": _("Follow-up to %(case)s: %(subject)s")
        % {"case": earlier.label, "subject": earlier.subject}
    }


@login_required
def new_case(request: AuthenticatedHttpRequest) -> HttpResponse:
    contact = _portal_contact(request)
    contract = in_force(contact.organization)
    plan = contract.plan if contract else None
    access = channel_access(plan, contact.role, Way.TICKET)
    if access.level is None:
        return _not_entitled(request, contact, plan, access)
    definitions = contract.plan.definitions_in() if contract else {}
    form = NewCaseForm(
        request.POST or None,
        request.FILES or None,
        initial=_follow_up(request),
        definitions=definitions,
        assets=Asset.objects.visible_to(request.user),
        incidents=status_page.unresolved(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = attachments.open_case(
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["description"],
                priority=form.cleaned_data["priority"],
                channel=Channel.WEB,
                contact=contact,
                actor=request.user,
                files=form.cleaned_data["attachments"],
                entitled_only=True,
                asset=form.cleaned_data.get("asset"),
            )
        except CaseError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            if form.cleaned_data.get("incident") is not None:
                try:
                    status_services.report_under(
                        form.cleaned_data["incident"], case, reporter=request.user
                    )
                except status_services.StatusError as error:  # resolved meanwhile
                    messages.info(request, error.message)
            messages.success(request, _("Your case %(case)s is open.") % {"case": case.label})
            return redirect("my_case", pk=case.pk)
    context = {
        "form": form,
        "contract": contract,
        "chat_template": optional_template("knowledge/_chat_widget.html"),
    }
    refused = request.method == "POST"  # a valid form has redirected: this one has errors
    return render(request, "tickets/new_case.html", context, status=400 if refused else 200)


def _not_entitled(request: AuthenticatedHttpRequest, contact, plan, access) -> HttpResponse:
    """Why this contact cannot open a case here, and what they can use instead."""
    context = {
        "plan": plan,
        "role": contact.get_role_display(),
        "entitlement": Entitlement(access.entitlement).label,
        "help_centre": may(plan, contact.role, Entitlement.HELP_CENTER)
        or may(plan, contact.role, Entitlement.SELF_SERVICE),
        "chatbot": may(plan, contact.role, Entitlement.CHATBOT),
        "colleagues": who_may(plan, contact, Way.TICKET),
        "chat_template": optional_template("knowledge/_chat_widget.html"),
    }
    return render(request, "tickets/not_entitled.html", context, status=403)


@login_required
def my_case(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The customer's page of a case. Only the customer's own session writes here: an agent
    answers, or notes what a customer said by phone, from the case page, under their name."""
    if request.user.is_agent:
        if request.method == "POST":
            raise PermissionDenied
        return redirect("case_detail", pk=pk)
    contact = _portal_contact(request)
    case = get_object_or_404(
        Case.objects.visible_to(request.user).select_related(
            "plan", "contact", "asset", "service_request"
        ),
        pk=pk,
    )
    form = CustomerReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            attachments.add_customer_message(
                case,
                body=form.cleaned_data["body"],
                contact=contact,
                files=form.cleaned_data["attachments"],
            )
        except CaseError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your message is sent."))
        return redirect("my_case", pk=pk)
    now = timezone.now()
    clocks = list(case.clocks.select_related("calendar"))
    context = {
        "case": case,
        "conversation": _conversation(case, public_only=True),
        "promises": display.customer_promises(clocks, now),
        "form": form,
        "chat_template": optional_template("knowledge/_chat_widget.html"),
    }
    return render(request, "tickets/my_case.html", context)


@login_required
@require_POST
def case_verdict(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The customer's answer to a resolved case: solved (it closes) or still a problem (it
    opens again, and its restoration clock runs on)."""
    _portal_contact(request)
    case = get_object_or_404(Case.objects.visible_to(request.user), pk=pk)
    verdict = request.POST.get("verdict")
    if case.status != Status.RESOLVED or verdict not in ("solved", "still"):
        messages.error(request, _("This case is not waiting for your answer."))
        return redirect("my_case", pk=pk)
    solved = verdict == "solved"
    services.change_status(case, Status.CLOSED if solved else Status.OPEN, actor=request.user)
    messages.success(
        request,
        _("Thank you: the case is closed.")
        if solved
        else _("The case is open again; tell us what still happens."),
    )
    return redirect("my_case", pk=pk)


@login_required
def attachment(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """A stored file, to whoever may read its message (an internal note's: agents only)."""
    return attachments.download(
        get_object_or_404(Attachment.objects.visible_to(request.user), pk=pk)
    )
