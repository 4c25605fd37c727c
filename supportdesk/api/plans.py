"""Plans, read-only: the promises a customer bought, as the clocks will apply them."""

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Router

from supportdesk.api import errors
from supportdesk.api.auth import caller
from supportdesk.api.schemas import PlanOut, Slug
from supportdesk.plans.models import Plan

router = Router(tags=["plans"])


def _plans(request: HttpRequest) -> QuerySet[Plan]:
    return (
        Plan.objects.visible_to(caller(request))
        .select_related("calendar")
        .prefetch_related("targets")
        .order_by("name", "id")
    )


def _plan(plan: Plan) -> dict:
    return {
        "slug": plan.slug,
        "name": plan.name,
        "calendar": {
            "slug": plan.calendar.slug,
            "timezone": plan.calendar.timezone,
            "country": plan.calendar.country,
        },
        "pause_when_waiting": plan.pause_when_waiting,
        "automatic_escalation": plan.automatic_escalation,
        "designated_only": plan.designated_only,
        "breach_credit_hours": str(plan.breach_credit_hours),
        "targets": [
            {
                "metric": t.metric,
                "rule": t.describe(),
                "priorities": t.priorities,
                "channels": t.channels,
                "within_seconds": int(t.within.total_seconds()) if t.within else None,
                "business_days": t.business_days,
                "around_the_clock": t.around_the_clock,
                "guaranteed": t.guaranteed,
            }
            for t in plan.targets.all()
        ],
    }


@router.get("", response={200: list[PlanOut], **errors.AUTHENTICATED})
def list_plans(request: HttpRequest) -> list[dict]:
    """Agents: every plan; customers: the plans of their organization's contracts."""
    return [_plan(p) for p in _plans(request)]


@router.get("/{slug}", response={200: PlanOut, **errors.READ_ONE})
def get_plan(request: HttpRequest, slug: Slug) -> dict:
    plan = _plans(request).filter(slug=slug).first()
    if plan is None:
        raise Http404
    return _plan(plan)
