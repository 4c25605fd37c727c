"""Time sheets imported apart from the tickets: work lines in any order once the case exists.

Providers export tickets and time sheets separately and import them one after the other, so a
work line may be dated before the case's later events. Work moves no clock: the clocks are the
ones the tickets alone give. Sample world: WebPlug-like, Lisbon hours (UTC+0 in March).
"""

import json
from datetime import UTC, date, datetime

import pytest
from django.db import transaction

from supportdesk.accounts.models import Organization, User
from supportdesk.billing.models import TimeEntry
from supportdesk.billing.services import close_month
from supportdesk.tickets.models import Case, Event, SlaClock
from supportdesk.world.history import HistoryError, import_history

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
JOAO, PEDRO = "joao@webplug.example", "pedro@webplug.example"


def jsonl(*events: dict) -> list[str]:
    return [json.dumps(e) for e in events]


def replay(*events: dict) -> None:
    import_history(jsonl(*events), source="h.jsonl", now=NOW)


def received(case: str, at: str) -> dict:
    return {
        "at": at,
        "case": case,
        "event": "received",
        "org": "cliente-b",
        "from": "ana@cliente-b.pt",
        "to": "prioridade@webplug.example",
        "channel": "email",
        "subject": "Site em baixo",
    }


def status(case: str, at: str, value: str) -> dict:
    return {"at": at, "case": case, "event": "status", "status": value, "by": JOAO}


def work(case: str, start: str, end: str, by: str = JOAO) -> dict:
    """A time-sheet line, without ``at``: it is recorded at its end."""
    return {"event": "work", "case": case, "by": by, "start": start, "end": end}


TICKETS = (
    received("WP-1", "2026-03-02T09:00:00+00:00"),
    {"at": "2026-03-02T09:30:00+00:00", "case": "WP-1", "event": "reply", "by": JOAO,
     "body": "Olá"},
    received("WP-2", "2026-03-02T10:00:00+00:00"),
    status("WP-1", "2026-03-03T16:00:00+00:00", "resolved"),
    status("WP-2", "2026-03-04T11:00:00+00:00", "resolved"),
)  # fmt: skip
# Out of order among themselves, and each before its case's resolution.
TIME_SHEET = (
    work("WP-2", "2026-03-02T10:10:00+00:00", "2026-03-02T10:40:00+00:00"),
    work("WP-1", "2026-03-02T09:05:00+00:00", "2026-03-02T09:35:00+00:00"),
    work("WP-1", "2026-03-03T14:00:00+00:00", "2026-03-03T15:00:00+00:00", by=PEDRO),
)


def clocks() -> list[dict]:
    return list(
        SlaClock.objects.order_by("case__reference", "metric").values(
            "case__reference", "metric", "due_at", "met_at", "breached_at", "paused_since"
        )
    )


def spans() -> list[tuple[str, str, datetime, datetime]]:
    return [
        (e.case.reference, e.agent.email, e.start, e.end)
        for e in TimeEntry.objects.select_related("case", "agent").order_by("start")
    ]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


EXPECTED = [
    ("WP-1", JOAO, utc("2026-03-02T09:05:00+00:00"), utc("2026-03-02T09:35:00+00:00")),
    ("WP-2", JOAO, utc("2026-03-02T10:10:00+00:00"), utc("2026-03-02T10:40:00+00:00")),
    ("WP-1", PEDRO, utc("2026-03-03T14:00:00+00:00"), utc("2026-03-03T15:00:00+00:00")),
]


@pytest.fixture
def tickets_alone(sample) -> list[dict]:
    """The clocks the tickets give without any time sheet, then a clean database."""
    saved = transaction.savepoint()
    replay(*TICKETS)
    result = clocks()
    transaction.savepoint_rollback(saved)
    return result


def test_a_file_with_every_event_first_then_every_work_line(tickets_alone):
    replay(*TICKETS, *TIME_SHEET)
    assert spans() == EXPECTED
    assert clocks() == tickets_alone  # work moves no clock
    assert Event.objects.filter(kind="work").count() == 3


def test_the_time_sheet_imported_after_the_tickets(tickets_alone):
    replay(*TICKETS)
    replay(*TIME_SHEET)
    assert spans() == EXPECTED
    assert clocks() == tickets_alone
    # Work lines leave the order of the clock-moving events as it was: a later ticket
    # export still may not go back before a case's last event.
    with pytest.raises(HistoryError, match="earlier than the previous event of case WP-1"):
        replay(status("WP-1", "2026-03-03T15:30:00+00:00", "open"))


def test_events_that_move_clocks_keep_their_order_around_work_lines(sample):
    with pytest.raises(HistoryError) as caught:
        replay(
            received("WP-1", "2026-03-02T09:00:00+00:00"),
            work("WP-1", "2026-03-02T11:00:00+00:00", "2026-03-02T12:00:00+00:00"),
            status("WP-1", "2026-03-02T10:00:00+00:00", "waiting"),  # after the work, fine
            status("WP-1", "2026-03-02T09:45:00+00:00", "open"),
        )
    assert caught.value.line == 4
    assert "earlier than the previous event of case WP-1" in caught.value.message
    assert not Case.objects.exists() and not TimeEntry.objects.exists()


def refused(*events: dict) -> HistoryError:
    with pytest.raises(HistoryError) as caught:
        import_history(jsonl(*events), source="h.jsonl", now=NOW)
    assert not Case.objects.exists() and not TimeEntry.objects.exists()  # nothing left behind
    return caught.value


def test_a_work_line_for_an_unknown_case_is_refused_with_its_line(sample):
    error = refused(
        *TICKETS,
        work("WP-1", "2026-03-02T09:05:00+00:00", "2026-03-02T09:35:00+00:00"),
        work("WP-9", "2026-03-02T11:00:00+00:00", "2026-03-02T11:30:00+00:00"),
    )
    assert (error.line, error.message) == (7, 'unknown case "WP-9"')


def test_a_work_line_before_its_case_is_received_is_refused(sample):
    # The case exists from its receipt: a line naming it earlier in the file is unknown...
    error = refused(
        work("WP-1", "2026-03-02T09:05:00+00:00", "2026-03-02T09:35:00+00:00"), *TICKETS
    )
    assert (error.line, error.message) == (1, 'unknown case "WP-1"')
    # ...and work that ended before the case was received is not work on it.
    error = refused(
        *TICKETS, work("WP-2", "2026-03-02T09:00:00+00:00", "2026-03-02T09:55:00+00:00")
    )
    assert error.line == 6
    assert error.message == (
        "2026-03-02T09:55:00+00:00 is earlier than the receipt of case WP-2 "
        "(2026-03-02T10:00:00+00:00)"
    )


def test_overlapping_work_lines_are_refused_in_any_order(sample):
    error = refused(
        *TICKETS,
        work("WP-1", "2026-03-03T10:00:00+00:00", "2026-03-03T11:00:00+00:00"),
        work("WP-2", "2026-03-02T11:00:00+00:00", "2026-03-02T12:00:00+00:00"),
        work("WP-2", "2026-03-03T10:30:00+00:00", "2026-03-03T10:45:00+00:00"),  # same agent
    )
    assert error.line == 8 and "overlap" in error.message


def test_work_in_a_closed_month_is_refused(sample):
    replay(*TICKETS)
    organization = Organization.objects.get(slug="cliente-b")
    close_month(organization, date(2026, 3, 1), actor=User.objects.get(email=JOAO), at=NOW)
    with pytest.raises(HistoryError) as caught:
        import_history(jsonl(*TIME_SHEET), source="sheet.jsonl", now=NOW)
    assert caught.value.format().startswith("sheet.jsonl:1: 2026-03 is closed")
    assert not TimeEntry.objects.exists()
