"""Each rule of issue 6 with WebPlug's own numbers (seed 002): 15/30-minute blocks, single packs
valid a year, monthly packs that do not carry over, 1 free hour per missed guarantee (2 on
Priority 24/7)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from supportdesk.billing import services
from supportdesk.billing.choices import PackKind
from supportdesk.billing.models import BreachCredit, HourPack
from supportdesk.billing.render import as_dict
from supportdesk.billing.statement import build_statement
from supportdesk.tickets import services as case_services
from tests.billing.conftest import at, new_case

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)


def statement(world, month=MARCH):
    return build_statement(world.org, month)


def single(world, purchased: str, hours: str) -> HourPack:
    return HourPack.objects.create(
        organization=world.org,
        kind=PackKind.SINGLE,
        hours=Decimal(hours),
        purchased=date.fromisoformat(purchased),
    )


def monthly(world, start: str, hours: str, end: str | None = None) -> HourPack:
    return HourPack.objects.create(
        organization=world.org,
        kind=PackKind.MONTHLY,
        hours=Decimal(hours),
        start_month=date.fromisoformat(start),
        end_month=date.fromisoformat(end) if end else None,
    )


def credit(world, granted: str, hours: str = "1", reference: str | None = None) -> BreachCredit:
    case = new_case(world, reference or f"C-{granted}")
    return BreachCredit.objects.create(
        case=case, organization=world.org, hours=Decimal(hours), granted_at=at(granted)
    )


# ---------------------------------------------------------------------------- rule 2: parts


def test_the_issue_example_bills_15_in_hours_and_30_outside(bw, work):
    work("2026-03-02 17:50", "2026-03-02 18:10")  # a Monday; Lisbon closes at 18:00
    (line,) = statement(bw).entries
    assert (line.in_hours_minutes, line.out_of_hours_minutes) == (10, 10)
    assert (line.billed_in_hours_minutes, line.billed_out_of_hours_minutes) == (15, 30)


def test_lunch_break_cuts_an_entry_into_three_rounded_parts(bw, work):
    work("2026-03-03 12:50", "2026-03-03 14:10")
    (line,) = statement(bw).entries
    assert (line.in_hours_minutes, line.out_of_hours_minutes) == (20, 60)
    assert (line.billed_in_hours_minutes, line.billed_out_of_hours_minutes) == (30, 60)


def test_a_minute_bills_a_block_and_a_block_bills_itself(bw, work):
    work("2026-03-04 10:00", "2026-03-04 10:01")
    work("2026-03-04 11:00", "2026-03-04 11:15")
    work("2026-03-04 11:15", "2026-03-04 11:16")  # touching is not overlapping
    work("2026-03-07 10:00", "2026-03-07 10:31")  # Saturday: out of hours, 2 blocks of 30
    billed = [
        (e.billed_in_hours_minutes, e.billed_out_of_hours_minutes) for e in statement(bw).entries
    ]
    assert billed == [(15, 0), (15, 0), (15, 0), (0, 60)]


def test_public_holiday_is_out_of_hours(bw, work):
    work("2026-04-03 10:00", "2026-04-03 10:20")  # Good Friday, a public holiday in Portugal
    (line,) = statement(bw, date(2026, 4, 1)).entries
    assert (line.out_of_hours_minutes, line.billed_out_of_hours_minutes) == (20, 30)


def test_non_billable_entries_are_kept_and_reported_not_billed(bw, work):
    work("2026-03-02 10:00", "2026-03-02 10:40", billable=False)
    work("2026-03-02 11:00", "2026-03-02 11:10")
    result = statement(bw)
    first, _second = result.entries
    assert first.billable is False and first.in_hours_minutes == 40
    assert first.billed_in_hours_minutes == first.billed_out_of_hours_minutes == 0
    assert result.overage_in_minutes == 15 and result.non_billable_minutes == 40


def test_an_entry_across_the_month_end_is_cut_there(bw, work):
    work("2026-02-28 23:40", "2026-03-01 00:20")  # a weekend night, out of hours throughout
    (feb,) = statement(bw, date(2026, 2, 1)).entries
    (mar,) = statement(bw).entries
    assert (feb.out_of_hours_minutes, feb.billed_out_of_hours_minutes) == (20, 30)
    assert (mar.out_of_hours_minutes, mar.billed_out_of_hours_minutes) == (20, 30)
    assert feb.end == mar.start == at("2026-03-01 00:00")


def test_months_are_read_in_the_plan_zone(bw, work):
    bw.calendar.timezone = "Europe/Warsaw"  # UTC+1 in winter: 23:30 UTC on 28 Feb is March
    bw.calendar.save()
    work("2026-02-28 23:30", "2026-02-28 23:45")
    assert statement(bw, date(2026, 2, 1)).entries == []
    (line,) = statement(bw).entries
    assert line.start.isoformat() == "2026-03-01T00:30:00+01:00"


# ---------------------------------------------------------------------------- rule 3: draws


def test_sources_are_drawn_monthly_then_single_then_credit_then_overage(bw, work):
    monthly(bw, "2026-03-01", "0.5")
    single(bw, "2026-01-10", "0.25")
    credit(bw, "2026-03-01 08:00")
    work("2026-03-02 09:00", "2026-03-02 11:00")  # 120 in hours
    work("2026-03-02 19:00", "2026-03-02 19:45")  # 60 billed out of hours
    result = statement(bw)
    assert (result.drawn_monthly, result.drawn_single, result.drawn_credit) == (30, 15, 60)
    assert (result.overage_in_minutes, result.overage_out_minutes) == (15, 60)
    assert result.overage_amount == Decimal("15.00") + Decimal("90.00")
    assert [s.kind for s in result.sources] == ["monthly", "single", "credit"]


def test_single_packs_earliest_expiry_first(bw, work):
    later = single(bw, "2026-02-01", "1")
    earlier = single(bw, "2025-06-01", "1")
    work("2026-03-02 09:00", "2026-03-02 10:30")
    result = statement(bw)
    left = {(b.purchased, b.minutes_left) for b in result.balances}
    assert left == {(earlier.purchased, 0), (later.purchased, 30)}


def test_a_credit_serves_only_work_from_its_breach_on(bw, work):
    credit(bw, "2026-03-02 10:30")
    work("2026-03-02 10:00", "2026-03-02 10:45")  # starts before the breach: overage
    work("2026-03-02 11:00", "2026-03-02 11:30")  # after it: the credit
    result = statement(bw)
    assert result.drawn_credit == 30 and result.overage_in_minutes == 45
    assert as_dict(result)["balances"]["credit_hours"] == "0.50"


def test_credits_oldest_first(bw, work):
    old = credit(bw, "2026-01-05 10:00", reference="OLD")
    credit(bw, "2026-02-05 10:00", reference="NEW")
    work("2026-03-02 09:00", "2026-03-02 10:30")
    result = statement(bw)
    assert [(s.label, s.minutes) for s in result.sources] == [
        (f"Credit for {old.case.label}", 60),
        ("Credit for NEW", 30),
    ]


def test_overage_is_priced_by_where_the_minutes_lie(bw, work):
    work("2026-03-02 17:30", "2026-03-02 18:30")  # 30 in, 30 out
    result = statement(bw)
    assert result.overage_in_amount == Decimal("30.00")
    assert result.overage_out_amount == Decimal("45.00")
    assert as_dict(result)["overage"]["amount"] == "75.00"


def test_parts_are_drawn_in_the_order_the_work_was_done(bw, work):
    """The monthly pack goes to the earlier entry even though it was recorded later."""
    monthly(bw, "2026-03-01", "0.25")
    work("2026-03-02 19:00", "2026-03-02 19:20")  # out of hours, recorded first, done later
    work("2026-03-02 10:00", "2026-03-02 10:10")  # in hours, done first
    result = statement(bw)
    assert result.drawn_monthly == 15
    assert (result.overage_in_minutes, result.overage_out_minutes) == (0, 30)


# ---------------------------------------------------------------------------- rule 4: lapse


def test_single_pack_is_valid_one_year_then_lapses(bw, work):
    single(bw, "2025-03-10", "2")
    work("2026-03-09 10:00", "2026-03-09 10:30")  # last valid day
    work("2026-03-10 10:00", "2026-03-10 10:30")  # the anniversary: expired
    result = statement(bw)
    assert result.drawn_single == 30 and result.overage_in_minutes == 30
    assert result.balances == []
    data = as_dict(result)
    assert data["lapsed"]["single"] == [
        {"purchased": "2025-03-10", "expires": "2026-03-10", "hours": "1.50"}
    ]


def test_work_across_a_pack_expiry_midnight_is_cut_there(bw, work):
    single(bw, "2025-03-10", "5")
    work("2026-03-09 23:00", "2026-03-10 01:00")  # Mon night → Tue, out of hours
    result = statement(bw)
    (line,) = result.entries
    assert line.billed_out_of_hours_minutes == 120
    assert result.drawn_single == 60 and result.overage_out_minutes == 60


def test_monthly_pack_does_not_carry_over(bw, work):
    monthly(bw, "2026-02-01", "2")
    work("2026-02-02 10:00", "2026-02-02 10:30")
    work("2026-03-02 10:00", "2026-03-02 12:30")
    february = statement(bw, date(2026, 2, 1))
    assert february.drawn_monthly == 30 and as_dict(february)["lapsed"]["monthly_hours"] == "1.50"
    march = statement(bw)
    assert march.drawn_monthly == 120 and march.overage_in_minutes == 30
    assert as_dict(march)["lapsed"]["monthly_hours"] == "0.00"


def test_monthly_pack_stops_after_its_last_month(bw, work):
    monthly(bw, "2026-01-01", "1", end="2026-02-01")
    work("2026-03-02 10:00", "2026-03-02 10:30")
    assert statement(bw).drawn_monthly == 0


def test_march_accounts_for_what_january_and_february_consumed(bw, work):
    single(bw, "2025-12-01", "3")
    credit(bw, "2025-12-15 10:00")
    work("2026-01-05 10:00", "2026-01-05 12:00")  # 2 h of the pack
    work("2026-02-02 10:00", "2026-02-02 11:30")  # 1 h pack, 30 min credit
    work("2026-03-02 10:00", "2026-03-02 11:00")  # 30 min credit, 30 min overage
    result = statement(bw)
    assert (result.drawn_single, result.drawn_credit, result.overage_in_minutes) == (0, 30, 30)
    data = as_dict(result)
    assert data["balances"] == {
        "single": [{"purchased": "2025-12-01", "expires": "2026-12-01", "hours_left": "0.00"}],
        "credit_hours": "0.00",
    }


# ---------------------------------------------------------------------------- credits


def _breach(world, reference: str, plan=None):
    """A case whose 4-business-hour first response is missed, swept a day later."""
    case = new_case(world, reference, "2026-03-02 09:00")
    case_services.sweep(now=at("2026-03-03 12:00"))
    return BreachCredit.objects.get(case=case)


def _work_on(world, case, start: str, end: str):
    return services.record_work(case, world.agent, at(start), at(end))


def test_a_missed_guarantee_earns_one_free_hour(bw):
    credit = _breach(bw, "WP-9")
    assert credit.hours == Decimal(1)
    breached = credit.case.clocks.exclude(breached_at=None).order_by("breached_at").first()
    assert credit.granted_at == breached.breached_at
    _work_on(bw, credit.case, "2026-03-04 10:00", "2026-03-04 11:30")
    result = statement(bw)
    assert result.drawn_credit == 60 and result.overage_in_minutes == 30


def test_priority_24_7_misses_earn_two_free_hours(bw):
    bw.plan.breach_credit_hours = Decimal(2)
    bw.plan.name = "Priority 24/7"
    bw.plan.save()
    credit = _breach(bw, "WP-10")
    _work_on(bw, credit.case, "2026-03-04 10:00", "2026-03-04 11:30")
    result = statement(bw)
    assert result.drawn_credit == 90 and as_dict(result)["balances"]["credit_hours"] == "0.50"


# ---------------------------------------------------------------------------- rule 5: money


def test_each_line_is_rounded_half_up_to_the_cent(bw, work):
    bw.plan.rate_in_hours = Decimal("0.10")  # 15 min = 0.025 → 0.03 (banker's would say 0.02)
    bw.plan.rate_out_of_hours = Decimal("0.30")  # 30 min = 0.15
    bw.plan.currency = "PLN"
    bw.plan.save()
    work("2026-03-02 17:50", "2026-03-02 18:10")
    result = statement(bw)
    assert result.overage_in_amount == Decimal("0.03")
    assert as_dict(result)["overage"]["amount"] == "0.18"
    assert as_dict(result)["currency"] == "PLN"


def test_lines_are_rounded_separately_not_their_sum(bw, work):
    bw.plan.rate_in_hours = Decimal("0.02")  # 15 min → 0.005 → 0.01
    bw.plan.rate_out_of_hours = Decimal("0.01")  # 30 min → 0.005 → 0.01
    bw.plan.save()
    work("2026-03-02 17:50", "2026-03-02 18:10")
    assert statement(bw).overage_amount == Decimal("0.02")  # not round(0.010) = 0.01


def test_odd_pack_hours_count_whole_minutes_in_the_customers_favour(bw, work):
    single(bw, "2026-01-01", "0.33")  # 19.8 minutes → 20
    work("2026-03-02 10:00", "2026-03-02 10:30")
    result = statement(bw)
    assert result.drawn_single == 20 and result.overage_in_minutes == 10
    assert timedelta(minutes=result.drawn_single) == timedelta(minutes=20)
