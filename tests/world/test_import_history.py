"""Replayed history gets exactly the clocks live traffic would: the contract math, by hand.

The sample world (sample_world.yaml) is WebPlug-like: Lisbon hours 09:00-13:00 and
14:00-18:00 on weekdays, Portuguese public holidays closed. Lisbon is UTC+0 in winter (WET)
and UTC+1 in summer (WEST). Every expected instant below is worked out in the comments.
"""

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from supportdesk.billing.models import BreachCredit
from supportdesk.tickets.models import Case, Event, Message, SlaClock
from supportdesk.world.history import HistoryError, import_history
from supportdesk.world.inspect import case_summary

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DESIGNATED = "prioridade@webplug.example"


def jsonl(*events: dict) -> list[str]:
    return [json.dumps(e, ensure_ascii=False) for e in events]


def replay(*events: dict, now: datetime = NOW):
    return import_history(jsonl(*events), source="h.jsonl", now=now)


def received(case: str, at: str, **fields) -> dict:
    base = {
        "at": at,
        "case": case,
        "event": "received",
        "org": "cliente-b",
        "from": "ana@cliente-b.pt",
        "to": DESIGNATED,
        "channel": "email",
        "priority": "P3",
        "subject": "Site em baixo",
        "body": "O site não abre.",
    }
    return {**base, **fields}


def reply(case: str, at: str, public: bool = True, by: str = "joao@webplug.example") -> dict:
    return {"at": at, "case": case, "event": "reply", "by": by, "public": public, "body": "Olá"}


def clock(case: str, metric: str) -> SlaClock:
    return SlaClock.objects.get(case__reference=case, metric=metric)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_four_business_hours_from_friday_evening_before_a_holiday(sample):
    # Friday 2 October 2026, 17:55 in Lisbon (WEST, UTC+1) = 16:55 UTC.
    # Friday: 17:55-18:00 = 5 min.  Monday 5 October: Republic Day, closed.
    # Tuesday 6 October: 3h55m left, 09:00-12:55 -> due 12:55 Lisbon = 11:55 UTC.
    replay(received("WP-1", "2026-10-02T16:55:00+00:00"), now=utc("2026-10-02T17:00:00+00:00"))
    first = clock("WP-1", "first_response")
    assert first.guaranteed
    assert first.due_at == utc("2026-10-06T11:55:00+00:00")
    # Restoration, 16 working hours: Fri 5 min, Tue 8h (09-13, 14-18) -> 7h55m left;
    # Wed 7 October 09:00-13:00 -> 3h55m left; 14:00 + 3h55m = 17:55 Lisbon = 16:55 UTC.
    assert clock("WP-1", "restoration").due_at == utc("2026-10-07T16:55:00+00:00")


def test_first_response_is_met_by_a_public_reply_not_by_an_internal_note(sample):
    # Monday 2 March 2026, 17:55 Lisbon (WET = UTC). Mon 5 min + Tue 09:00-12:55 (3h55m).
    replay(
        received("WP-1", "2026-03-02T17:55:00+00:00"),
        reply("WP-1", "2026-03-03T09:30:00+00:00", public=False),
        now=utc("2026-03-03T09:45:00+00:00"),
    )
    first = clock("WP-1", "first_response")
    assert first.due_at == utc("2026-03-03T12:55:00+00:00")
    assert first.met_at is None
    assert Case.objects.get(reference="WP-1").status == "new"  # a note does not open it

    replay(reply("WP-1", "2026-03-03T10:00:00+00:00"), now=utc("2026-03-03T10:05:00+00:00"))
    first.refresh_from_db()
    assert first.met_at == utc("2026-03-03T10:00:00+00:00")
    assert first.breached_at is None
    assert Case.objects.get(reference="WP-1").status == "open"


def test_waiting_pauses_restoration_and_resuming_extends_due_by_the_paused_working_time(sample):
    # Received Monday 2 March 2026 09:00 UTC (= Lisbon). Restoration 16 working hours:
    # Mon 8h + Tue 8h -> due Tuesday 3 March 18:00.
    replay(
        received("WP-1", "2026-03-02T09:00:00+00:00"),
        reply("WP-1", "2026-03-02T09:30:00+00:00"),
        {"at": "2026-03-02T10:00:00+00:00", "case": "WP-1", "event": "status",
         "status": "waiting", "by": "joao@webplug.example"},
        now=utc("2026-03-02T12:00:00+00:00"),
    )  # fmt: skip
    restoration = clock("WP-1", "restoration")
    assert restoration.paused_since == utc("2026-03-02T10:00:00+00:00")
    assert restoration.due_at is None  # paused: no due instant
    # The customer answers Tuesday 10:00. Paused working time: Mon 10:00-13:00 (3h) +
    # 14:00-18:00 (4h) + Tue 09:00-10:00 (1h) = 8h. Due moves 8 working hours on:
    # Tue 18:00 + 8h = Wednesday 4 March 18:00.
    replay(
        {"at": "2026-03-03T10:00:00+00:00", "case": "WP-1", "event": "customer_reply",
         "from": "ana@cliente-b.pt", "body": "Já está."},
        now=utc("2026-03-03T10:30:00+00:00"),
    )  # fmt: skip
    restoration.refresh_from_db()
    assert restoration.paused_since is None
    assert restoration.due_at == utc("2026-03-04T18:00:00+00:00")
    assert Case.objects.get(reference="WP-1").status == "open"


def test_breach_is_recorded_at_the_due_instant_with_one_credit_per_case(sample):
    # P1 received Monday 2 March 2026 10:00 UTC through the designated address.
    # First response 4 business hours: 10:00-13:00 (3h) + 14:00-15:00 (1h) -> 15:00.
    # Restoration P1 4h around the clock -> 14:00. Nobody answers; swept on 30 November.
    replay(received("WP-1", "2026-03-02T10:00:00+00:00", priority="P1"))
    first, restoration = clock("WP-1", "first_response"), clock("WP-1", "restoration")
    assert first.breached_at == first.due_at == utc("2026-03-02T15:00:00+00:00")
    assert restoration.breached_at == restoration.due_at == utc("2026-03-02T14:00:00+00:00")
    credits = BreachCredit.objects.filter(case__reference="WP-1")
    assert [(c.hours, c.granted_at) for c in credits] == [
        (Decimal("1.00"), utc("2026-03-02T14:00:00+00:00"))  # once, at the first breach
    ]
    assert case_summary(Case.objects.get(reference="WP-1"))["credit_hours"] == 1


def test_twenty_four_seven_by_the_designated_phone(sample):
    # Saturday 7 March 2026 03:00 UTC, a call to the 24/7 number: 5 minutes around the clock.
    replay(
        received("WP-7", "2026-03-07T03:00:00+00:00", org="farmacia", channel="phone",
                 priority="P1", **{"from": "+351912000301", "to": "+351 21 000 0365"}),
    )  # fmt: skip
    first = clock("WP-7", "first_response")
    assert first.due_at == utc("2026-03-07T03:05:00+00:00")
    assert first.breached_at == utc("2026-03-07T03:05:00+00:00")
    case = Case.objects.get(reference="WP-7")
    assert case.credit.hours == Decimal("2.00")
    assert case.level == "L2"  # the plan escalates automatically


def test_priority_change_retargets_and_breaches_as_of_the_change_when_overdue(sample):
    # P3 received Monday 2 March 2026 09:00 UTC; answered 09:30 (first response met).
    # At 15:00 it becomes P1: restoration P1 is 4h around the clock from 09:00 -> 13:00,
    # already past, so it breaches as of the change, 15:00 (not at 13:00, before anyone
    # could have known).
    replay(
        received("WP-1", "2026-03-02T09:00:00+00:00"),
        reply("WP-1", "2026-03-02T09:30:00+00:00"),
        {"at": "2026-03-02T15:00:00+00:00", "case": "WP-1", "event": "priority",
         "priority": "P1", "by": "joao@webplug.example"},
    )  # fmt: skip
    restoration = clock("WP-1", "restoration")
    assert restoration.due_at == utc("2026-03-02T13:00:00+00:00")
    assert restoration.breached_at == utc("2026-03-02T15:00:00+00:00")
    assert "P1" in restoration.rule
    credit = BreachCredit.objects.get(case__reference="WP-1")
    assert credit.granted_at == utc("2026-03-02T15:00:00+00:00")


def test_priority_change_in_time_only_moves_the_due_instant(sample):
    # P3 at 09:00, P1 at 10:00: restoration due 09:00 + 4h = 13:00 (24/7), not breached.
    replay(
        received("WP-1", "2026-03-02T09:00:00+00:00"),
        {"at": "2026-03-02T10:00:00+00:00", "case": "WP-1", "event": "priority",
         "priority": "P1", "by": "joao@webplug.example"},
        now=utc("2026-03-02T11:00:00+00:00"),
    )  # fmt: skip
    restoration = clock("WP-1", "restoration")
    assert restoration.due_at == utc("2026-03-02T13:00:00+00:00")
    assert restoration.breached_at is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"channel": "sms", "from": "+351912345678", "to": "+351210000247"},
            "channel SMS carries no guarantee",
        ),
        ({"from": "stranger@elsewhere.example", "org": None}, "sender not registered"),
        ({"from": "helena@farmacia.pt"}, "sender not registered"),  # registered elsewhere
        ({"to": "suporte@webplug.example"}, "not sent to the designated address " + DESIGNATED),
    ],
    ids=["sms", "unregistered sender", "sender of another org", "not designated"],
)
def test_uncovered_cases_have_no_guaranteed_clock_and_say_why(sample, fields, reason):
    event = received("WP-9", "2026-03-02T09:00:00+00:00", **fields)
    replay({k: v for k, v in event.items() if v is not None})
    case = Case.objects.get(reference="WP-9")
    assert case.covered is False
    assert case.coverage_reason == reason
    assert not case.clocks.filter(guaranteed=True).exists()
    assert not BreachCredit.objects.exists()
    # What is left is the indicative expectation: two business days, no promise.
    summary = case_summary(case)
    assert summary["coverage_reason"] == reason
    assert set(summary["clocks"]) <= {"first_response"}
    assert all(c["guaranteed"] is False for c in summary["clocks"].values())


def test_the_unregistered_sender_gets_the_fallback_plan(sample):
    replay({"at": "2026-03-02T09:00:00+00:00", "case": "X-1", "event": "received",
            "channel": "email", "from": "stranger@elsewhere.example", "body": "Olá"})  # fmt: skip
    case = Case.objects.get(reference="X-1")
    assert case.plan.slug == "no-plan"
    assert case.organization is None
    # Indicative, 2 business days: close of Wednesday 4 March, 18:00 Lisbon = 18:00 UTC.
    first = clock("X-1", "first_response")
    assert (first.guaranteed, first.due_at) == (False, utc("2026-03-04T18:00:00+00:00"))
    assert first.breached_at is None  # indicative clocks never breach


def test_history_does_not_send_mail(sample):
    from supportdesk.tickets.models import OutboundMessage

    replay(
        received("WP-1", "2026-03-02T09:00:00+00:00"), reply("WP-1", "2026-03-02T09:30:00+00:00")
    )
    assert not OutboundMessage.objects.filter(subject__startswith="[WP-1]").exists()


def test_assign_routes_the_case(sample):
    replay(
        received("WP-1", "2026-03-02T09:00:00+00:00"),
        {"at": "2026-03-02T09:05:00+00:00", "case": "WP-1", "event": "assign",
         "to": "pedro@webplug.example", "level": "L2", "team": "tecnico",
         "by": "joao@webplug.example"},
    )  # fmt: skip
    case = Case.objects.get(reference="WP-1")
    assert (case.assignee.email, case.level, case.team.slug) == (
        "pedro@webplug.example",
        "L2",
        "tecnico",
    )


# --------------------------------------------------------------------------- bad lines

GOOD = received("WP-1", "2026-03-02T09:00:00+00:00")
BAD_LINES = {
    "unknown agent": (
        reply("WP-1", "2026-03-02T10:00:00+00:00", by="ghost@webplug.example"),
        'unknown agent "ghost@webplug.example"',
    ),
    "unknown case": (reply("WP-2", "2026-03-02T10:00:00+00:00"), 'unknown case "WP-2"'),
    "naive timestamp": (
        reply("WP-1", "2026-03-02T10:00:00"),
        'at: "2026-03-02T10:00:00" has no UTC offset',
    ),
    "unknown event": (
        {"at": "2026-03-02T10:00:00+00:00", "case": "WP-1", "event": "teleport"},
        'unknown event "teleport"',
    ),
    "out of order": (
        reply("WP-1", "2026-03-02T08:00:00+00:00"),
        "2026-03-02T08:00:00+00:00 is earlier than the previous event of case WP-1",
    ),
    "unknown key": (
        {**reply("WP-1", "2026-03-02T10:00:00+00:00"), "pubic": True},
        'unknown key "pubic" for a reply event',
    ),
    "in the future": (reply("WP-1", "2026-12-02T10:00:00+00:00"), "is in the future"),
    "service refusal": (
        {
            "at": "2026-03-02T10:00:00+00:00",
            "case": "WP-1",
            "event": "status",
            "status": "sleeping",
        },
        "unknown status 'sleeping'",
    ),
    "already received": (received("WP-1", "2026-03-02T10:00:00+00:00"), "already received"),
    "unknown organization": (
        received("WP-3", "2026-03-02T10:00:00+00:00", org="nobody"),
        'unknown organization "nobody"',
    ),
}


@pytest.mark.parametrize("case", BAD_LINES, ids=list(BAD_LINES))
def test_a_bad_line_names_its_number_and_leaves_the_database_as_it_was(sample, case):
    bad, message = BAD_LINES[case]
    lines = [*jsonl(GOOD, reply("WP-1", "2026-03-02T09:30:00+00:00")), "", *jsonl(bad)]
    with pytest.raises(HistoryError) as caught:
        import_history(lines, source="h.jsonl", now=NOW)
    assert caught.value.line == 4  # blank lines count: it is the file's line number
    assert caught.value.format().startswith("h.jsonl:4: ")
    assert message in caught.value.message
    assert not Case.objects.exists()
    assert not Message.objects.exists() and not Event.objects.exists()


def test_an_event_on_a_closed_case_is_the_services_refusal(sample):
    with pytest.raises(HistoryError, match=r"h\.jsonl:3: Case WP-1 is closed"):
        replay(
            GOOD,
            {"at": "2026-03-02T09:10:00+00:00", "case": "WP-1", "event": "status",
             "status": "closed"},
            reply("WP-1", "2026-03-02T09:20:00+00:00"),
        )  # fmt: skip


def test_invalid_json_is_a_line_error(sample):
    with pytest.raises(HistoryError, match=r"^h.jsonl:2: not valid JSON"):
        import_history([*jsonl(GOOD), "{oops"], source="h.jsonl", now=NOW)
    assert not Case.objects.exists()


def test_the_command_reports_file_and_line(sample, tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(jsonl(GOOD, reply("WP-1", "2026-03-02T10:00:00"))) + "\n")
    with pytest.raises(CommandError, match=f"^{re.escape(str(path))}:2: at: .* has no UTC offset"):
        call_command("import_history", str(path))
    assert not Case.objects.exists()

    path.write_text("\n".join(jsonl(GOOD, reply("WP-1", "2026-03-02T10:00:00+00:00"))) + "\n")
    out = StringIO()
    call_command("import_history", str(path), stdout=out)
    assert "2 events on 1 cases" in out.getvalue()
    assert clock("WP-1", "first_response").met_at == utc("2026-03-02T10:00:00+00:00")
