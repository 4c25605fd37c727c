"""A provider's field history replays through the same services: the visit decided a day
after the report breaches on replay, the repair back in time is met, the loaner comes back."""

import json
from datetime import UTC, datetime

import pytest

from supportdesk.field.models import LoanerIssue, Visit
from supportdesk.world.history import HistoryError, import_history

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def lines(*records: dict) -> list[str]:
    return [json.dumps(record) for record in records]


def test_field_events_replay_with_their_clocks(orange):
    history = lines(
        {"at": "2026-10-16T14:00:00+00:00", "case": "OP-7", "event": "received",
         "channel": "phone", "from": "zofia@nowak.pl", "subject": "Laptop dead",
         "asset": "SN-1234"},
        {"at": "2026-10-16T14:30:00+00:00", "case": "OP-7", "event": "reply",
         "by": "katarzyna@techopieka.example", "body": "An engineer will come."},
        {"at": "2026-10-19T07:00:00+00:00", "case": "OP-7", "event": "visit_needed",
         "by": "katarzyna@techopieka.example"},
        {"at": "2026-10-19T07:05:00+00:00", "case": "OP-7", "event": "visit_scheduled",
         "by": "katarzyna@techopieka.example", "technician": "marek@techopieka.example",
         "start": "2026-10-19T09:00:00+00:00", "end": "2026-10-19T11:00:00+00:00"},
        {"at": "2026-10-19T09:20:00+00:00", "case": "OP-7", "event": "visit_arrived",
         "by": "marek@techopieka.example"},
        {"at": "2026-10-19T10:00:00+00:00", "case": "OP-7", "event": "repair_taken",
         "by": "marek@techopieka.example", "asset": "SN-1234"},
        {"at": "2026-10-19T10:05:00+00:00", "case": "OP-7", "event": "loaner_issued",
         "by": "marek@techopieka.example", "loaner": "LN-7", "disk_moved": True},
        {"at": "2026-10-29T08:00:00+00:00", "case": "OP-7", "event": "repair_returned",
         "by": "marek@techopieka.example"},
        {"at": "2026-10-30T08:00:00+00:00", "case": "OP-7", "event": "loaner_returned",
         "by": "marek@techopieka.example", "loaner": "LN-7"},
    )  # fmt: skip
    report = import_history(history, now=NOW)
    assert report.events == 9
    visit = Visit.objects.get(case__reference="OP-7")
    case = visit.case
    on_site = case.clocks.get(metric="on_site")
    assert on_site.due_at == datetime(2026, 10, 17, 14, 0, tzinfo=UTC)  # the report + 24 h
    assert on_site.breached_at == on_site.due_at  # decided too late: breached on replay
    assert on_site.met_at == datetime(2026, 10, 19, 9, 20, tzinfo=UTC)
    repair = case.clocks.get(metric="repair")
    assert repair.met_at == datetime(2026, 10, 29, 8, 0, tzinfo=UTC)
    assert repair.breached_at is None
    issue = LoanerIssue.objects.get()
    assert issue.disk_moved and issue.returned_at == datetime(2026, 10, 30, 8, 0, tzinfo=UTC)


def test_a_step_out_of_order_names_its_line(orange):
    history = lines(
        {"at": "2026-10-16T14:00:00+00:00", "case": "OP-8", "event": "received",
         "channel": "phone", "from": "zofia@nowak.pl"},
        {"at": "2026-10-16T15:00:00+00:00", "case": "OP-8", "event": "visit_arrived",
         "by": "marek@techopieka.example"},
    )  # fmt: skip
    with pytest.raises(HistoryError) as error:
        import_history(history, now=NOW)
    assert error.value.line == 2
    assert "visit_needed first" in error.value.message
