"""The write path for plans: calendars, plans and their target tables, contracts.

Every function is an upsert keyed on the object's natural key that writes only the values that
differ, and says what it did. That is what makes "plans as code" idempotent: loading the same
world twice issues no UPDATE at all, so ``updated_at`` stamps and caches keyed on them stay put.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from django.db import models, transaction

from supportdesk.accounts.models import Organization, User
from supportdesk.plans.models import BusinessCalendar, Contract, Plan, SlaTarget

M = TypeVar("M", bound=models.Model)


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class TargetSpec:
    """One row of a plan's target table, as written in a world file or an admin form."""

    metric: str
    within: timedelta | None = None
    business_days: int | None = None
    priorities: Sequence[str] = ()
    channels: Sequence[str] = ()
    designated: bool | None = None
    around_the_clock: bool = False
    guaranteed: bool = True

    def values(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "within": self.within,
            "business_days": self.business_days,
            "priorities": list(self.priorities),
            "channels": list(self.channels),
            "designated": self.designated,
            "around_the_clock": self.around_the_clock,
            "guaranteed": self.guaranteed,
        }


def _assign(instance: models.Model, values: Mapping[str, Any]) -> list[str]:
    """Set the attributes that differ and return their names (nothing is saved here)."""
    changed = []
    for name, value in values.items():
        model_field = instance._meta.get_field(name)
        if isinstance(model_field, models.Field) and model_field.is_relation:
            wanted = value.pk if isinstance(value, models.Model) else value
            if getattr(instance, model_field.attname) == wanted:
                continue
        elif getattr(instance, name) == value:
            continue
        setattr(instance, name, value)
        changed.append(name)
    return changed


def upsert(
    model: type[M],
    key: Mapping[str, Any],
    values: Mapping[str, Any],
    touch: Sequence[str] = (),
) -> tuple[M, Change]:
    """Create the row, or save only the fields that differ (plus ``touch``, e.g. auto_now).

    The world file's writers in the apps above plans (billing's packs) upsert the same way.
    """
    instance = model._default_manager.filter(**key).first()
    if instance is None:
        return model._default_manager.create(**key, **values), Change.CREATED
    changed = _assign(instance, values)
    if not changed:
        return instance, Change.UNCHANGED
    instance.save(update_fields=[*changed, *touch])
    return instance, Change.UPDATED


@transaction.atomic
def save_calendar(slug: str, **values: Any) -> tuple[BusinessCalendar, Change]:
    """Create or update a calendar by slug.

    ``values`` are BusinessCalendar fields (timezone, country, subdivision, holidays as ISO
    dates, weekly and exceptions as ``{"mon": ["09:00-13:00"]}`` / ``{"2026-12-24": [...]}``).
    A changed calendar gets a new ``updated_at``, which is what invalidates its cached kernel.
    """
    return upsert(BusinessCalendar, {"slug": slug}, values, touch=["updated_at"])


@transaction.atomic
def save_plan(
    slug: str, *, targets: Sequence[TargetSpec] | None = None, **values: Any
) -> tuple[Plan, Change]:
    """Create or update a plan by slug; ``targets`` (when given) replace its table in order.

    Rows are updated in place position by position rather than deleted and recreated, so the
    clocks that point at a row keep pointing at it when the rule did not change.
    """
    plan, change = upsert(Plan, {"slug": slug}, values)
    if targets is not None and _save_targets(plan, targets) and change is Change.UNCHANGED:
        change = Change.UPDATED
    return plan, change


def _save_targets(plan: Plan, targets: Sequence[TargetSpec]) -> bool:
    existing = {row.position: row for row in plan.targets.all()}
    touched = False
    for position, spec in enumerate(targets):
        row = existing.pop(position, None)
        if row is None:
            SlaTarget.objects.create(plan=plan, position=position, **spec.values())
            touched = True
            continue
        changed = _assign(row, spec.values())
        if changed:
            row.save(update_fields=changed)
            touched = True
    if existing:
        SlaTarget.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
        touched = True
    return touched


@transaction.atomic
def save_contract(
    organization: Organization,
    plan: Plan,
    *,
    start: date,
    end: date | None = None,
    monthly_fee: Decimal | None = None,
    designated_email: str = "",
    designated_phone: str = "",
    account_manager: User | None = None,
    calendar: BusinessCalendar | None = None,
) -> tuple[Contract, Change]:
    """Create or update the contract of this organization for this plan from this start date.

    A contract makes the organization a customer of the plan's brand; a plan of another
    provider than the organization's is refused (``ValueError``).
    """
    if plan.brand_id is not None and organization.brand_id != plan.brand_id:
        if organization.brand_id is not None:
            raise ValueError(
                f"{organization.slug} is a customer of another brand than plan {plan.slug}"
            )
        organization.brand_id = plan.brand_id
        organization.save(update_fields=["brand"])
    key = {"organization": organization, "plan": plan, "start": start}
    values = {
        "end": end,
        "monthly_fee": monthly_fee,
        "designated_email": designated_email,
        "designated_phone": designated_phone,
        "account_manager": account_manager,
        "calendar": calendar,
    }
    return upsert(Contract, key, values)
