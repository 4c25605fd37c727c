"""The only write path for field work: visits, repairs, loaners and contract-end reminders.

Each step writes its row and the case's event in one transaction, and moves the case's
on-site or repair clock through the case services, so a visit decided late breaches,
escalates and credits exactly as a late answer does. Every function takes ``at``.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Max, QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from supportdesk.accounts.choices import ADMIN_ROLES
from supportdesk.accounts.models import Brand, Contact, User
from supportdesk.assets.choices import DeviceClass
from supportdesk.assets.models import Asset
from supportdesk.db import writing
from supportdesk.field.models import (
    Loaner,
    LoanerIssue,
    RenewalReminder,
    Repair,
    Technician,
    Visit,
)
from supportdesk.plans.choices import Metric
from supportdesk.plans.contracts import local_day
from supportdesk.plans.models import Contract, Plan
from supportdesk.tickets import events, outbox
from supportdesk.tickets import services as cases
from supportdesk.tickets.choices import Channel, EventKind, Status
from supportdesk.tickets.errors import CaseError, CaseErrorCode
from supportdesk.tickets.events import iso
from supportdesk.tickets.models import Case


def _require_agent(user: User | None) -> None:
    if user is None or not user.is_agent:
        raise CaseError(CaseErrorCode.NOT_AN_AGENT, _("Only agents can do this."))


def _open_case(case: Case) -> Case:
    """The case under a row lock, refused when closed."""
    case = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
    if case.status == Status.CLOSED:
        raise CaseError(CaseErrorCode.CLOSED, _("Case %(case)s is closed.") % {"case": case.label})
    return case


def _log(case: Case, kind: str, at: datetime, actor: User | None, **after: object) -> None:
    events.field_step(case, kind, at, actor=actor, after=after).save()


def _has_clock(case: Case, metric: str) -> bool:
    return case.clocks.filter(metric=metric).exists()


def is_technician(user: User | None) -> bool:
    return user is not None and user.is_agent and hasattr(user, "technician")


@writing()
def set_technician(user: User) -> None:
    """Give an agent the field role: a day list of visits, and visits can be theirs. (The
    administration takes it away.)"""
    _require_agent(user)
    Technician.objects.get_or_create(user=user)


# ------------------------------------------------------------------------------ visits


@writing()
def decide_visit(
    case: Case, *, actor: User | None, at: datetime | None = None, purpose: str = ""
) -> Visit:
    """Remote help was not enough: an engineer goes. The on-site promise counts from the
    report ("24 hours from the report"), so its clock starts at the case's receipt; a second
    visit for the same report makes no new promise."""
    at = at or timezone.now()
    _require_agent(actor)
    case = _open_case(case)
    if case.visits.filter(departed_at__isnull=True).exists():
        raise CaseError(CaseErrorCode.INVALID, _("The case already has a visit under way."))
    asset = case.asset
    visit = Visit.objects.create(
        case=case,
        purpose=(purpose.strip() or case.subject)[:300],
        decided_at=at,
        decided_by=actor,
        address=asset.location if asset is not None else "",
    )
    _log(case, EventKind.VISIT_NEEDED, at, actor, visit=visit.pk)
    if not _has_clock(case, Metric.ON_SITE):
        cases.start_clock(case, Metric.ON_SITE, actor=actor, at=at, started_at=case.received_at)
    return visit


def _locked_visit(visit: Visit) -> Visit:
    visit = Visit.objects.select_for_update(of=("self",)).select_related("case").get(pk=visit.pk)
    _open_case(visit.case)
    return visit


@writing()
def schedule_visit(
    visit: Visit,
    *,
    technician: User,
    start: datetime,
    end: datetime,
    address: str | None = None,
    actor: User | None,
    at: datetime | None = None,
) -> Visit:
    """Put the visit on a technician's day, in a window; rescheduling is the same step."""
    at = at or timezone.now()
    _require_agent(actor)
    if not is_technician(technician):
        raise CaseError(
            CaseErrorCode.INVALID,
            _("%(name)s is not a field technician.") % {"name": technician},
            "technician",
        )
    if end <= start:
        raise CaseError(CaseErrorCode.INVALID, _("The window must end after it starts."), "end")
    visit = _locked_visit(visit)
    if visit.arrived_at is not None:
        raise CaseError(CaseErrorCode.INVALID, _("The technician is already on site."))
    visit.technician, visit.window_start, visit.window_end = technician, start, end
    if address is not None and address.strip():
        visit.address = address.strip()[:300]
    visit.save(update_fields=["technician", "window_start", "window_end", "address"])
    _log(
        visit.case,
        EventKind.VISIT_SCHEDULED,
        at,
        actor,
        visit=visit.pk,
        technician=technician.email,
        start=iso(start),
        end=iso(end),
        address=visit.address,
    )
    return visit


@writing()
def arrive(visit: Visit, *, actor: User | None, at: datetime | None = None) -> Visit:
    """The engineer is on site: the on-site promise is kept at this instant."""
    at = at or timezone.now()
    _require_agent(actor)
    visit = _locked_visit(visit)
    if visit.arrived_at is not None:
        raise CaseError(CaseErrorCode.INVALID, _("The technician is already on site."))
    if at < visit.decided_at:
        raise CaseError(CaseErrorCode.INVALID, _("A visit cannot start before it was decided."))
    if visit.technician is None and is_technician(actor):
        visit.technician = actor
    visit.arrived_at = at
    visit.save(update_fields=["arrived_at", "technician"])
    technician = visit.technician.email if visit.technician else None
    _log(visit.case, EventKind.VISIT_ARRIVED, at, actor, visit=visit.pk, technician=technician)
    cases.meet_clock(visit.case, Metric.ON_SITE, actor=actor, at=at)
    return visit


@writing()
def depart(visit: Visit, *, report: str, actor: User | None, at: datetime | None = None) -> Visit:
    """The engineer leaves, saying what was done (the report stays on the visit)."""
    at = at or timezone.now()
    _require_agent(actor)
    visit = _locked_visit(visit)
    if visit.arrived_at is None:
        raise CaseError(CaseErrorCode.INVALID, _("The technician has not arrived yet."))
    if visit.departed_at is not None:
        raise CaseError(CaseErrorCode.INVALID, _("The technician has left already."))
    if at < visit.arrived_at:
        raise CaseError(CaseErrorCode.INVALID, _("The technician cannot leave before arriving."))
    visit.departed_at, visit.report = at, report.strip()
    visit.save(update_fields=["departed_at", "report"])
    technician = visit.technician.email if visit.technician else None
    _log(visit.case, EventKind.VISIT_DEPARTED, at, actor, visit=visit.pk, technician=technician)
    return visit


def day_list(visits: QuerySet[Visit], technician: User, day: date, zone: str) -> list[Visit]:
    """Of ``visits``, the technician's whose window starts on ``day`` in ``zone``, in time
    order, with their case, customer and device."""
    return list(
        visits.filter(
            technician=technician,
            window_start__gte=_local_midnight(day, zone),
            window_start__lt=_local_midnight(day + timedelta(days=1), zone),
        )
        .select_related("case", "case__organization", "case__asset", "case__contact")
        .order_by("window_start", "id")
    )


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(zone))


# ------------------------------------------------------------------------------ repairs


@writing()
def take_for_repair(
    case: Case, *, actor: User | None, at: datetime | None = None, asset: Asset | None = None
) -> Repair:
    """A device that cannot be fixed on site is taken: the repair promise starts now."""
    at = at or timezone.now()
    _require_agent(actor)
    case = _open_case(case)
    asset = asset or case.asset
    if asset is None:
        raise CaseError(CaseErrorCode.INVALID, _("Name the device taken for repair."), "asset")
    if asset.organization_id != case.organization_id:
        raise CaseError(
            CaseErrorCode.INVALID,
            _("Device %(serial)s is not this customer's.") % {"serial": asset.serial},
            "asset",
        )
    if Repair.objects.filter(asset=asset, returned_at__isnull=True).exists():
        raise CaseError(
            CaseErrorCode.INVALID,
            _("Device %(serial)s is in repair already.") % {"serial": asset.serial},
            "asset",
        )
    repair = Repair.objects.create(case=case, asset=asset, taken_at=at, taken_by=actor)
    _log(case, EventKind.REPAIR_TAKEN, at, actor, repair=repair.pk, asset=asset.serial)
    if not _has_clock(case, Metric.REPAIR):
        cases.start_clock(case, Metric.REPAIR, actor=actor, at=at)
    return repair


@writing()
def return_repair(repair: Repair, *, actor: User | None, at: datetime | None = None) -> Repair:
    """The repaired device is back: the repair promise is kept once the case's last device is
    back, and every loaner still out on the case is asked for (it stays open until returned)."""
    at = at or timezone.now()
    _require_agent(actor)
    repair = (
        Repair.objects.select_for_update(of=("self",))
        .select_related("case", "asset")
        .get(pk=repair.pk)
    )
    if repair.returned_at is not None:
        raise CaseError(CaseErrorCode.INVALID, _("The device was returned already."))
    if at < repair.taken_at:
        raise CaseError(CaseErrorCode.INVALID, _("A device cannot come back before it was taken."))
    case = repair.case
    repair.returned_at, repair.returned_by = at, actor
    repair.save(update_fields=["returned_at", "returned_by"])
    out = list(
        LoanerIssue.objects.filter(case=case, returned_at__isnull=True).select_related(
            "loaner", "contact"
        )
    )
    _log(
        case,
        EventKind.REPAIR_RETURNED,
        at,
        actor,
        repair=repair.pk,
        asset=repair.asset.serial,
        loaners=[issue.loaner.serial for issue in out],
    )
    LoanerIssue.objects.filter(pk__in=[i.pk for i in out], asked_back_at__isnull=True).update(
        asked_back_at=at
    )
    for issue in out:
        _ask_loaner_back(issue, repair, at)
    if not case.repairs.filter(returned_at__isnull=True).exists():
        cases.meet_clock(case, Metric.REPAIR, actor=actor, at=at)
    return repair


def _language(contact: Contact | None) -> str:
    if contact is None:
        return settings.LANGUAGE_CODE
    user_language = contact.user.language if contact.user is not None else ""
    return contact.language or user_language or settings.LANGUAGE_CODE


def _ask_loaner_back(issue: LoanerIssue, repair: Repair, at: datetime) -> None:
    """Mail the person who has the loaner, in their language: their device is back."""
    to = issue.contact.email if issue.contact is not None else None
    if not to:
        return
    with translation.override(_language(issue.contact)):
        subject = _("Your device %(serial)s is back from repair") % {"serial": repair.asset.serial}
        body = _(
            "Your device %(serial)s is repaired and back (case %(case)s). Please give back the "
            "replacement %(loaner)s we lent you meanwhile."
        ) % {"serial": repair.asset.serial, "case": repair.case.label, "loaner": issue.loaner}
    outbox.queue(repair.case, to=to, subject=subject, body=body, at=at, automatic=True)


# ------------------------------------------------------------------------------ loaners


@writing()
def issue_loaner(
    case: Case,
    *,
    loaner: Loaner,
    actor: User | None,
    at: datetime | None = None,
    contact: Contact | None = None,
    disk_moved: bool = False,
) -> LoanerIssue:
    """Leave a replacement with the customer while their device is repaired; ``disk_moved``:
    the laptop's healthy disk went into it. To the device's user, else the requester."""
    at = at or timezone.now()
    _require_agent(actor)
    case = _open_case(case)
    loaner = Loaner.objects.select_for_update().get(pk=loaner.pk)
    if loaner.brand_id is not None and loaner.brand_id != case.brand_id:
        raise CaseError(
            CaseErrorCode.INVALID,
            _("Loaner %(serial)s is another provider's.") % {"serial": loaner.serial},
            "loaner",
        )
    if loaner.issues.filter(returned_at__isnull=True).exists():
        raise CaseError(
            CaseErrorCode.INVALID,
            _("Loaner %(serial)s is out already.") % {"serial": loaner.serial},
            "loaner",
        )
    if contact is None:
        asset = case.asset
        contact = asset.user if asset is not None and asset.user_id else case.contact
    if contact is not None and contact.organization_id != case.organization_id:
        raise CaseError(CaseErrorCode.INVALID, _("The contact is not this customer's."), "contact")
    issue = LoanerIssue.objects.create(
        loaner=loaner,
        case=case,
        contact=contact,
        issued_at=at,
        issued_by=actor,
        disk_moved=disk_moved,
    )
    _log(
        case,
        EventKind.LOANER_ISSUED,
        at,
        actor,
        loaner=loaner.serial,
        to=contact.name if contact is not None else None,
        disk_moved=disk_moved,
    )
    return issue


@writing()
def return_loaner(issue: LoanerIssue, *, actor: User | None, at: datetime | None = None) -> None:
    """The loaner is back in the pool."""
    at = at or timezone.now()
    _require_agent(actor)
    issue = (
        LoanerIssue.objects.select_for_update(of=("self",))
        .select_related("loaner", "case")
        .get(pk=issue.pk)
    )
    if issue.returned_at is not None:
        raise CaseError(CaseErrorCode.INVALID, _("The loaner was returned already."))
    if at < issue.issued_at:
        raise CaseError(CaseErrorCode.INVALID, _("A loaner cannot come back before it was lent."))
    issue.returned_at, issue.returned_by = at, actor
    issue.save(update_fields=["returned_at", "returned_by"])
    _log(issue.case, EventKind.LOANER_RETURNED, at, actor, loaner=issue.loaner.serial)


# ------------------------------------------------------------------------------ reminders


def _due_for_reminder(now: datetime) -> list[tuple[Contract, date]]:
    """Contracts whose end falls within their plan's notice and has not been reminded."""
    longest = Plan.objects.aggregate(days=Max("renewal_notice_days"))["days"] or 0
    today = now.date()
    candidates = (
        Contract.objects.filter(
            end__isnull=False,
            end__gte=today - timedelta(days=1),
            end__lte=today + timedelta(days=longest + 1),
        )
        .select_related("plan", "plan__calendar", "calendar", "organization", "account_manager")
        .order_by("end", "pk")
    )
    due = []
    for contract in candidates:
        end, local = contract.end, local_day(contract, now)
        if end is not None and local <= end <= local + timedelta(
            days=contract.plan.renewal_notice_days
        ):
            due.append((contract, end))
    if not due:
        return []
    done = set(
        RenewalReminder.objects.filter(contract__in=[c for c, _end in due]).values_list(
            "contract_id", "contract_end"
        )
    )
    return [(c, end) for c, end in due if (c.pk, end) not in done]


def send_renewal_reminders(now: datetime | None = None) -> int:
    """N days before a contract ends (N: its plan's ``renewal_notice_days``) give its account
    manager a task on their queue and mail the organization's administrators in their
    language. Once per contract end: the reminder row is the proof it was given."""
    now = now or timezone.now()
    sent = 0
    for contract, end in _due_for_reminder(now):
        with writing():
            locked = Contract.objects.select_for_update().get(pk=contract.pk)
            reminded = RenewalReminder.objects.filter(contract=locked, contract_end=end)
            if locked.end != end or reminded.exists():
                continue
            task = _renewal_task(contract, end, now)
            RenewalReminder.objects.create(
                contract=contract, contract_end=end, sent_at=now, task=task
            )
            _mail_administrators(contract, end, now)
            sent += 1
    return sent


def _renewal_task(contract: Contract, contract_end: date, at: datetime) -> Case:
    """The account manager's task: a case the desk opens for itself, outside any
    organization (so the customer's portal never lists it), assigned to them."""
    organization, manager = contract.organization, contract.account_manager
    with translation.override(
        manager.language if manager and manager.language else settings.LANGUAGE_CODE
    ):
        end = formats.date_format(contract_end, "DATE_FORMAT")
        values = {"org": organization.name, "end": end, "plan": contract.plan.name}
        subject = _("Contract ends on %(end)s: %(org)s") % values
        body = (
            _(
                "The %(plan)s contract of %(org)s ends on %(end)s. Contact the customer about "
                "renewing it; their administrators have been told by email."
            )
            % values
        )
    task = cases.open_case(
        subject=subject,
        body=body,
        channel=Channel.API,
        brand=organization.brand,
        identify_sender=False,
        at=at,
    )
    if manager is not None and manager.is_agent:
        cases.assign(task, assignee=manager, actor=None, at=at)
    return task


def _mail_administrators(contract: Contract, contract_end: date, at: datetime) -> None:
    organization = contract.organization
    admins = (
        Contact.objects.filter(organization=organization, role__in=ADMIN_ROLES)
        .select_related("user")
        .prefetch_related("addresses")
    )
    for contact in admins:
        if not contact.email:
            continue
        with translation.override(_language(contact)):
            values = {
                "name": contact.name,
                "org": organization.name,
                "plan": contract.plan.name,
                "end": formats.date_format(contract_end, "DATE_FORMAT"),
            }
            subject = _("Your support contract ends on %(end)s") % values
            body = (
                _(
                    "Hello %(name)s,\n\nthe %(plan)s support contract of %(org)s ends on %(end)s. "
                    "Your account manager will contact you about renewing it; you can also simply "
                    "reply to this message.\n"
                )
                % values
            )
        outbox.queue(None, to=contact.email, subject=subject, body=body, at=at, automatic=True)


@writing()
def save_loaner(
    serial: str, *, device_class: str, model: str = "", brand: Brand | None = None
) -> Loaner:
    """Add a device to the loaner pool, or update the one with this serial."""
    serial = serial.strip().upper()
    if not serial:
        raise CaseError(CaseErrorCode.INVALID, _("A loaner needs a serial number."), "serial")
    if device_class not in DeviceClass.values:
        raise CaseError(
            CaseErrorCode.INVALID,
            _('"%(value)s" is not a device class') % {"value": device_class},
            "device_class",
        )
    loaner, _created = Loaner.objects.update_or_create(
        serial=serial, defaults={"device_class": device_class, "model": model, "brand": brand}
    )
    return loaner
