"""Time on the case page (timer, typed entries) and statements for agents and customer admins.

Thin: reads through ``visible_to``-style checks, writes through ``services``. Customers who are
not their organization's administrator get the 404 a missing page would give.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportdesk.accounts.access import Action, AuthenticatedHttpRequest, agent_required
from supportdesk.accounts.choices import ADMIN_ROLES
from supportdesk.accounts.models import Organization
from supportdesk.billing import services
from supportdesk.billing.context import (
    ADD_FORM,
    PENDING_LONG,
    STOP_FORM,
    current_month,
    edit_prefix,
    user_zone,
)
from supportdesk.billing.errors import BillingError, BillingErrorCode
from supportdesk.billing.forms import ConfirmLongForm, TimeEntryForm, TimerForm
from supportdesk.billing.models import ClosedMonth, TimeEntry, billed_organizations
from supportdesk.billing.pdf import as_pdf
from supportdesk.billing.periods import next_month, parse_month, previous_month
from supportdesk.billing.render import as_csv
from supportdesk.billing.statement import Months, Statement, build_statement
from supportdesk.tickets.models import Case


def _back_to_case(pk: int) -> HttpResponse:
    return redirect(reverse("case_detail", args=[pk]) + "#time")


def _fail(request: AuthenticatedHttpRequest, error: BillingError) -> None:
    messages.error(request, error.message)


def _attempt(
    request: AuthenticatedHttpRequest,
    pk: int,
    action,
    success: str | None = None,
    form: str | None = None,
) -> HttpResponse:
    """Run a billing service for the case page: its refusal becomes a message, never an error.

    Work refused for its length waits in the session, so that the case page shows ``form``
    again as it was filled, with the box that confirms it."""
    try:
        action()
    except BillingError as error:
        _fail(request, error)
        if error.code == BillingErrorCode.LONG_ENTRY and form is not None:
            data = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
            request.session[PENDING_LONG] = {"case": pk, "form": form, "data": data}
    else:
        if success:
            messages.success(request, success)
    return _back_to_case(pk)


# ---------------------------------------------------------------------------- case page


@agent_required
@require_POST
def timer_start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(Case.objects.restrict(request.user, Action.CHANGE), pk=pk)
    form = TimerForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    return _attempt(
        request,
        pk,
        lambda: services.start_timer(
            case, request.user, billable=data.get("billable", False), note=data.get("note", "")
        ),
    )


@agent_required
@require_POST
def timer_stop(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    form = ConfirmLongForm(request.POST)
    form.is_valid()
    confirm = form.cleaned_data.get("confirm_long", False)
    return _attempt(
        request,
        pk,
        lambda: services.stop_timer(request.user, confirm_long=confirm),
        _("Time recorded."),
        STOP_FORM,
    )


@agent_required
@require_POST
def timer_discard(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _attempt(request, pk, lambda: services.discard_timer(request.user))


@agent_required
@require_POST
def entry_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(Case.objects.restrict(request.user, Action.CHANGE), pk=pk)
    form = TimeEntryForm(request.POST, zone=user_zone())
    if not form.is_valid():
        messages.error(request, _("Give the start and end of the work as date and time."))
        return _back_to_case(pk)
    data = form.cleaned_data
    return _attempt(
        request,
        pk,
        lambda: services.record_work(
            case,
            request.user,
            data["start"],
            data["end"],
            data["billable"],
            data["note"],
            confirm_long=data["confirm_long"],
        ),
        _("Time recorded."),
        ADD_FORM,
    )


@agent_required
@require_POST
def entry_edit(request: AuthenticatedHttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(TimeEntry.objects.restrict(request.user, Action.CHANGE), pk=entry_id)
    form = TimeEntryForm(request.POST, prefix=edit_prefix(entry), zone=user_zone())
    if not form.is_valid():
        messages.error(request, _("Give the start and end of the work as date and time."))
        return _back_to_case(entry.case_id)
    data = form.cleaned_data
    return _attempt(
        request,
        entry.case_id,
        lambda: services.change_entry(
            entry,
            actor=request.user,
            start=data["start"],
            end=data["end"],
            billable=data["billable"],
            note=data["note"],
            confirm_long=data["confirm_long"],
        ),
        _("Entry changed."),
        edit_prefix(entry),
    )


@agent_required
@require_POST
def entry_delete(request: AuthenticatedHttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(TimeEntry.objects.restrict(request.user, Action.CHANGE), pk=entry_id)
    services.delete_entry(entry, actor=request.user)
    messages.success(request, _("Entry removed."))
    return _back_to_case(entry.case_id)


# ---------------------------------------------------------------------------- statements


def _statement(
    request: AuthenticatedHttpRequest, organization: Organization, month_text: str | None
):
    try:
        month = parse_month(month_text) if month_text else current_month(organization)
        return build_statement(organization, month), None
    except BillingError as error:
        return None, error


def _download(statement: Statement, kind: str) -> HttpResponse:
    name = f"statement-{statement.organization.slug}-{statement.month:%Y-%m}"
    if kind == "csv":
        response = HttpResponse(as_csv(statement), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(as_pdf(statement), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


def _page(request, organization, month_text, links, template="billing/statement.html"):
    statement, error = _statement(request, organization, month_text)
    context = {"organization": organization, "statement": statement, "error": error}
    if statement is not None:
        month = statement.month
        context |= {
            "previous": previous_month(month).strftime("%Y-%m"),
            "next": next_month(month).strftime("%Y-%m"),
            "csv_url": links(month.strftime("%Y-%m"), "csv"),
            "pdf_url": links(month.strftime("%Y-%m"), "pdf"),
            "closed": ClosedMonth.objects.filter(organization=organization, month=month)
            .select_related("closed_by")
            .first(),
            # Only a month that is over can be closed (the service refuses the others).
            "month_over": Months(organization).start(next_month(month)) <= timezone.now(),
        }
    # No contract is a state to explain, not a bad request: the page says what a statement needs.
    explained = error is None or error.code == BillingErrorCode.NO_PLAN
    context["no_contract"] = error is not None and error.code == BillingErrorCode.NO_PLAN
    return render(request, template, context, status=200 if explained else 400)


@agent_required
@require_POST
def month_close(request: AuthenticatedHttpRequest, slug: str, month: str) -> HttpResponse:
    """Close (or, with ``reopen``, reopen) a month from the organization's statement page."""
    organization = get_object_or_404(billed_organizations(request.user), slug=slug)
    try:
        first_day = parse_month(month)
        if request.POST.get("reopen"):
            services.reopen_month(organization, first_day, actor=request.user)
            messages.success(request, _("%(month)s reopened.") % {"month": month})
        else:
            services.close_month(organization, first_day, actor=request.user)
            messages.success(request, _("%(month)s closed.") % {"month": month})
    except BillingError as error:
        messages.error(request, error.message)
    return redirect(f"{reverse('billing:org_statement', args=[slug])}?month={month}")


@agent_required
def org_statement(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    organization = get_object_or_404(billed_organizations(request.user), slug=slug)
    return _page(
        request,
        organization,
        request.GET.get("month"),
        lambda m, kind: reverse("billing:org_statement_file", args=[slug, m, kind]),
    )


@agent_required
def org_statement_file(
    request: AuthenticatedHttpRequest, slug: str, month: str, kind: str
) -> HttpResponse:
    organization = get_object_or_404(billed_organizations(request.user), slug=slug)
    statement, error = _statement(request, organization, month)
    if statement is None:
        raise Http404(error.message if error else "")
    return _download(statement, kind)


def _admin_organization(request: AuthenticatedHttpRequest) -> Organization:
    """The signed-in customer's organization, if they administer it; otherwise 404."""
    contact = request.user.contact_or_none
    if contact is None or contact.role not in ADMIN_ROLES:
        raise Http404
    return contact.organization


@login_required
def my_statement(request: AuthenticatedHttpRequest) -> HttpResponse:
    organization = _admin_organization(request)
    return _page(
        request,
        organization,
        request.GET.get("month"),
        lambda m, kind: reverse("billing:my_statement_file", args=[m, kind]),
    )


@login_required
def my_statement_file(request: AuthenticatedHttpRequest, month: str, kind: str) -> HttpResponse:
    organization = _admin_organization(request)
    statement, _error = _statement(request, organization, month)
    if statement is None:
        raise Http404
    return _download(statement, kind)
