"""What a plan includes (for the customer and for agents) and the organization page (agents).

Read-only pages; a customer sees only the plan of their own organization, an agent any.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from supportdesk.accounts.access import AuthenticatedHttpRequest, agent_required
from supportdesk.accounts.choices import entitled_as
from supportdesk.accounts.models import Organization, OrganizationEvent
from supportdesk.billing import context as billing
from supportdesk.plans import matrix
from supportdesk.plans.contracts import in_force, in_force_among, organization_contracts
from supportdesk.plans.models import Plan
from supportdesk.tickets.choices import OPEN_STATUSES
from supportdesk.tickets.models import Case

PAGE_SIZE = 50


def _plan_context(plan: Plan, contract=None, role: str | None = None) -> dict:
    """The customer's own column is the one of the role they are entitled as (an owner reads
    the administrator's); business hours are those the contract counts, its region's."""
    mine = [role is not None and r.value == entitled_as(role) for r in matrix.ROLES]
    # The customer's own column first: on a phone it is the one in view.
    order = sorted(range(len(mine)), key=lambda i: not mine[i])
    labels = matrix.roles()
    calendar = contract.business_calendar if contract is not None else plan.calendar
    return {
        "plan": plan,
        "contract": contract,
        "calendar": calendar,
        "week": matrix.weekly_hours(calendar),
        "columns": [(labels[i], mine[i]) for i in order],
        "rows": [
            (row, [(row.granted[i], mine[i]) for i in order])
            for row in matrix.entitlement_rows(plan, contract)
        ],
        "targets": matrix.target_rows(plan),
        "definitions": list(plan.definitions_in().items()),
        "block_in": int(plan.block_in_hours.total_seconds() // 60),
        "block_out": int(plan.block_out_of_hours.total_seconds() // 60),
    }


def _with_targets(queryset):
    return queryset.select_related("calendar").prefetch_related("targets")


@login_required
def my_plan(request: AuthenticatedHttpRequest) -> HttpResponse:
    contact = request.user.contact_or_none
    if contact is None:
        raise Http404
    contract = in_force(contact.organization)
    if contract is None:
        return render(request, "plans/no_plan.html", {"organization": contact.organization})
    plan = _with_targets(Plan.objects).get(pk=contract.plan_id)
    context = _plan_context(plan, contract, contact.role)
    context["organization"] = contact.organization
    return render(request, "plans/plan.html", context)


@agent_required
def plan_detail(request: HttpRequest, slug: str) -> HttpResponse:
    plan = get_object_or_404(_with_targets(Plan.objects.visible_to(request.user)), slug=slug)
    return render(request, "plans/plan.html", _plan_context(plan))


@agent_required
def organizations(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    found = (
        Organization.objects.visible_to(request.user)
        .annotate(open_cases=Count("cases", filter=Q(cases__status__in=OPEN_STATUSES)))
        .order_by("name")
    )
    if query:
        found = found.filter(Q(name__icontains=query) | Q(slug__icontains=query))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "plans/organizations.html", {"page": page, "q": query})


@agent_required
def organization(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_object_or_404(Organization.objects.visible_to(request.user), slug=slug)
    contracts = list(organization_contracts(org))
    current = in_force_among(contracts, timezone.now())
    cases = (
        Case.objects.visible_to(request.user)
        .filter(organization=org)
        .select_related("contact", "assignee")
        .order_by("-received_at", "-id")
    )
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    credits = org.credits.select_related("case")
    context = {
        "org": org,
        "contracts": contracts,
        "current": current,
        "contacts": org.contacts.select_related("user").prefetch_related("addresses"),
        "page": page,
        "open_cases": Case.objects.visible_to(request.user)
        .filter(organization=org, status__in=OPEN_STATUSES)
        .count(),
        "credits": credits.order_by("-granted_at")[:50],
        "credit_hours": credits.aggregate(total=Sum("hours"))["total"] or 0,
        "packs": org.packs.order_by("-purchased", "-start_month"),
    }
    context["balances_template"] = "billing/_balances.html"
    context["balances"] = billing.balances(org)
    context["events"] = (
        OrganizationEvent.objects.visible_to(request.user)
        .filter(organization=org)
        .select_related("actor")[:50]
    )
    return render(request, "plans/organization.html", context)
