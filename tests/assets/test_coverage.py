"""Rule 1's device step, with Orange's numbers: under a plan for contract devices only, a case
about a device bought elsewhere is received but not covered; one about a contract device, or
naming none, keeps the 2-hour answer by phone.

Zofia calls on Monday 2 March 2026 at 10:00 in Warsaw (09:00 UTC): covered, the answer is due
at 12:00 Warsaw (11:00 UTC), two working hours later.
"""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from supportdesk.tickets import services
from supportdesk.tickets.choices import Channel, Coverage, EventKind
from supportdesk.tickets.errors import CaseError
from supportdesk.tickets.models import Case, SlaClock

pytestmark = pytest.mark.django_db

CALLED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday 10:00 in Warsaw
DUE = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 12:00 in Warsaw


def call(t, asset=None, at=CALLED) -> Case:
    return services.open_case(
        subject="Komputer nie startuje",
        body="Po aktualizacji ekran jest czarny.",
        channel=Channel.PHONE,
        contact=t.zofia,
        asset=asset,
        at=at,
    )


def first_response(case: Case) -> SlaClock:
    return SlaClock.objects.get(case=case, metric="first_response")


def test_a_contract_device_is_covered_with_the_two_hour_answer(techopieka):
    case = call(techopieka, techopieka.laptop)
    assert (case.covered, case.coverage_code, case.asset) == (
        True,
        Coverage.COVERED,
        techopieka.laptop,
    )
    clock = first_response(case)
    assert clock.guaranteed and clock.due_at == DUE


def test_a_device_bought_elsewhere_is_received_but_not_covered(techopieka):
    case = call(techopieka, techopieka.printer)
    assert (case.covered, case.coverage_code, case.coverage_param) == (
        False,
        Coverage.DEVICE_NOT_COVERED,
        "SN-7702",
    )
    assert not first_response(case).guaranteed  # the indicative next-business-day answer only
    reasons = {}
    for language in ("en", "pl", "pt"):
        with translation.override(language):
            reasons[language] = case.coverage_reason
    assert reasons == {
        "en": "device SN-7702 is not covered by the contract",
        "pl": "urządzenie SN-7702 nie jest objęte umową",
        "pt": "o equipamento SN-7702 não está abrangido pelo contrato",
    }


def test_a_case_naming_no_device_stays_covered(techopieka):
    case = call(techopieka)
    assert case.covered and case.asset is None
    assert first_response(case).due_at == DUE


def test_a_plan_covering_every_device_ignores_where_it_was_bought(techopieka):
    techopieka.plan.assets_only = False
    techopieka.plan.save()
    assert call(techopieka, techopieka.printer).covered


def test_a_case_cannot_name_another_organizations_device(techopieka):
    with pytest.raises(CaseError) as refused:
        call(techopieka, techopieka.foreign)
    assert refused.value.field == "asset"
    assert not Case.objects.exists()


def test_an_agent_naming_the_device_later_decides_coverage_again(techopieka):
    """Set to the printer at 11:30 Warsaw: the case leaves the plan and its answer is no longer
    a guarantee (nothing breaches at 12:00). Cleared at 14:00: back under the plan, the 2-hour
    promise counted from the call was missed at 12:00, and is breached as of the change."""
    case = call(techopieka)
    agent = techopieka.agent
    services.update_case(
        case,
        services.CaseChanges(asset=techopieka.printer),
        actor=agent,
        at=datetime(2026, 3, 2, 10, 30, tzinfo=UTC),
    )
    case.refresh_from_db()
    assert (case.asset, case.covered, case.coverage_code) == (
        techopieka.printer,
        False,
        Coverage.DEVICE_NOT_COVERED,
    )
    assert not first_response(case).guaranteed
    assert services.sweep(datetime(2026, 3, 2, 12, 0, tzinfo=UTC)) == 0

    cleared = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    services.update_case(case, services.CaseChanges(no_asset=True), actor=agent, at=cleared)
    case.refresh_from_db()
    assert (case.asset, case.covered, case.coverage_code) == (None, True, Coverage.COVERED)
    clock = first_response(case)
    assert clock.guaranteed and clock.due_at == DUE and clock.breached_at == cleared
    history = [
        (e.kind, e.before, e.after)
        for e in case.events.filter(kind__in=[EventKind.ASSET, EventKind.COVERAGE])
    ]
    assert history == [
        (EventKind.ASSET, None, "SN-7702"),
        (
            EventKind.COVERAGE,
            {"covered": True, "coverage": "covered", "param": "TechOpieka Premium"},
            {"covered": False, "coverage": "device_not_covered", "param": "SN-7702"},
        ),
        (EventKind.ASSET, "SN-7702", None),
        (
            EventKind.COVERAGE,
            {"covered": False, "coverage": "device_not_covered", "param": "SN-7702"},
            {"covered": True, "coverage": "covered", "param": "TechOpieka Premium"},
        ),
    ]


def test_changing_to_another_contract_device_keeps_the_clocks(techopieka):
    case = call(techopieka)
    services.update_case(
        case, services.CaseChanges(asset=techopieka.laptop), actor=techopieka.agent, at=CALLED
    )
    case.refresh_from_db()
    assert case.asset == techopieka.laptop and case.covered
    assert not case.events.filter(kind=EventKind.COVERAGE).exists()
    assert first_response(case).due_at == DUE


def test_a_case_uncovered_for_another_reason_stays_so(techopieka):
    case = services.open_case(
        subject="?", body="?", channel=Channel.SMS, contact=techopieka.zofia, at=CALLED
    )
    assert case.coverage_code == Coverage.CHANNEL_UNGUARANTEED
    services.update_case(
        case, services.CaseChanges(asset=techopieka.laptop), actor=techopieka.agent, at=CALLED
    )
    case.refresh_from_db()
    assert case.asset == techopieka.laptop
    assert (case.covered, case.coverage_code) == (False, Coverage.CHANNEL_UNGUARANTEED)
