"""The SLA clock rules of the core, checked against instants worked out by hand.

The test plan (tests/factories.py) is Lisbon, Mon-Fri 09:00-13:00 and 14:00-18:00, Portuguese
public holidays; first response 4 business hours, restoration 16 business hours (P1: 4 h 24/7),
plus an indicative "2 business days" row for uncovered cases. In early March Lisbon is UTC+0.
"""

from datetime import UTC, datetime, timedelta

import pytest

from supportdesk.billing.models import BreachCredit
from supportdesk.tickets import services
from supportdesk.tickets.models import Event, OutboundMessage


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


FRIDAY_1755 = utc(2026, 3, 6, 17, 55)


def open_email_case(world, at=FRIDAY_1755, priority="P3", sender="ana@cliente-b.pt", **kw):
    return services.open_case(
        subject="Site em baixo",
        body="O site não abre.",
        channel=kw.pop("channel", "email"),
        priority=priority,
        sender=sender,
        received_via="suporte@webplug.example",
        at=at,
        **kw,
    )


def clocks(case):
    return {c.metric: c for c in case.clocks.all()}


@pytest.mark.django_db
def test_first_response_due_counts_only_business_hours(world):
    case = open_email_case(world)
    assert case.covered and case.coverage_reason == "covered by Priority"
    # 5 min on Friday (17:55-18:00) + 3 h 55 on Monday from 09:00 = Monday 12:55.
    assert clocks(case)["first_response"].due_at == utc(2026, 3, 9, 12, 55)
    # 5 min Fri + 8 h Mon + 4 h Tue morning + 3 h 55 from 14:00 = Tuesday 17:55.
    assert clocks(case)["restoration"].due_at == utc(2026, 3, 10, 17, 55)
    assert case.next_due == utc(2026, 3, 9, 12, 55)


@pytest.mark.django_db
def test_due_skips_public_holiday_and_follows_summer_time(world):
    # Thursday 2 April 2026 17:55 in Lisbon (UTC+1); Friday 3 April is Good Friday.
    case = open_email_case(world, at=utc(2026, 4, 2, 16, 55))
    # 5 min Thursday, nothing Friday or the weekend, Monday 09:00 + 3 h 55 = 12:55 (11:55 UTC).
    assert clocks(case)["first_response"].due_at == utc(2026, 4, 6, 11, 55)


@pytest.mark.django_db
def test_public_reply_meets_first_response_but_a_note_does_not(world):
    case = open_email_case(world)
    services.post_reply(
        case, author=world.agent, body="A ver.", public=False, at=utc(2026, 3, 9, 9, 10)
    )
    assert clocks(case)["first_response"].met_at is None
    services.post_reply(
        case, author=world.agent, body="Estamos a tratar.", at=utc(2026, 3, 9, 9, 30)
    )
    case.refresh_from_db()
    assert clocks(case)["first_response"].met_at == utc(2026, 3, 9, 9, 30)
    assert case.status == "open"
    # The queue now orders by the restoration clock.
    assert case.next_due == utc(2026, 3, 10, 17, 55)


@pytest.mark.django_db
def test_waiting_pauses_restoration_by_the_working_time_paused(world):
    case = open_email_case(world)
    services.post_reply(case, author=world.agent, body="Pode confirmar?", at=utc(2026, 3, 9, 9, 30))
    services.change_status(case, "waiting", actor=world.agent, at=utc(2026, 3, 9, 10, 0))
    assert clocks(case)["restoration"].due_at is None
    services.add_customer_message(
        case, body="Confirmo.", sender="ana@cliente-b.pt", at=utc(2026, 3, 10, 10, 0)
    )
    case.refresh_from_db()
    assert case.status == "open"
    restoration = clocks(case)["restoration"]
    # Paused Mon 10:00-13:00, 14:00-18:00 and Tue 09:00-10:00: 8 working hours.
    assert restoration.paused_work == timedelta(hours=8)
    # 16 h + 8 h from Fri 17:55: 5 m Fri, 8 h Mon, 8 h Tue, Wed 4 h + 3 h 55 = Wed 17:55.
    assert restoration.due_at == utc(2026, 3, 11, 17, 55)


@pytest.mark.django_db
def test_resolve_meets_and_reopen_resumes_restoration(world):
    case = open_email_case(world)
    services.change_status(case, "resolved", actor=world.agent, at=utc(2026, 3, 9, 11, 0))
    assert clocks(case)["restoration"].met_at == utc(2026, 3, 9, 11, 0)
    services.add_customer_message(
        case, body="Voltou a falhar.", sender="ana@cliente-b.pt", at=utc(2026, 3, 9, 15, 0)
    )
    restoration = clocks(case)["restoration"]
    assert restoration.met_at is None
    # Paused Mon 11:00-13:00 and 14:00-15:00 = 3 h, so due moves from Tue 17:55 to Wed 11:55.
    assert restoration.due_at == utc(2026, 3, 11, 11, 55)


@pytest.mark.django_db
def test_sweep_breaches_at_due_instant_once_with_credit_and_notice(world):
    case = open_email_case(world)
    services.assign(case, assignee=world.agent, actor=world.agent, at=utc(2026, 3, 9, 9, 0))
    assert services.sweep(now=utc(2026, 3, 9, 12, 54)) == 0
    assert services.sweep(now=utc(2026, 3, 9, 13, 30)) == 1
    first = clocks(case)["first_response"]
    assert first.breached_at == utc(2026, 3, 9, 12, 55)
    credit = BreachCredit.objects.get(case=case)
    assert credit.hours == 1 and credit.organization == world.org
    assert OutboundMessage.objects.filter(case=case, to="joao@webplug.example").count() == 1
    # The restoration clock breaching later earns no second credit for the same case.
    assert services.sweep(now=utc(2026, 3, 12, 9, 0)) == 1
    assert BreachCredit.objects.filter(case=case).count() == 1
    assert Event.objects.filter(case=case, kind="clock_breached").count() == 2
    # A breached clock stays breached when met later.
    services.post_reply(case, author=world.agent, body="Tarde.", at=utc(2026, 3, 12, 10, 0))
    first.refresh_from_db()
    assert first.met_at == utc(2026, 3, 12, 10, 0) and first.breached_at is not None


@pytest.mark.django_db
def test_late_reply_records_breach_even_before_the_sweep(world):
    case = open_email_case(world)
    services.post_reply(case, author=world.agent, body="Olá", at=utc(2026, 3, 9, 14, 0))
    first = clocks(case)["first_response"]
    assert first.breached_at == utc(2026, 3, 9, 12, 55)
    assert first.met_at == utc(2026, 3, 9, 14, 0)


@pytest.mark.django_db
def test_automatic_escalation_moves_breached_case_to_level_2(world):
    world.plan.automatic_escalation = True
    world.plan.save()
    case = open_email_case(world)
    services.sweep(now=utc(2026, 3, 9, 13, 0))
    case.refresh_from_db()
    assert case.level == "L2"
    assert Event.objects.filter(case=case, kind="escalated").count() == 1


@pytest.mark.django_db
def test_priority_change_swaps_target_and_breaches_as_of_the_change(world):
    case = open_email_case(world)
    # P1 restoration is 4 h around the clock: due Friday 21:55, already past on Monday.
    services.change_priority(case, "P1", actor=world.agent, at=utc(2026, 3, 9, 9, 0))
    restoration = clocks(case)["restoration"]
    assert restoration.due_at == utc(2026, 3, 6, 21, 55)
    assert restoration.breached_at == utc(2026, 3, 9, 9, 0)
    assert "24/7" in restoration.rule
    # Back to P3 keeps the start and the breach, and recomputes due.
    services.change_priority(case, "P3", actor=world.agent, at=utc(2026, 3, 9, 9, 5))
    restoration = clocks(case)["restoration"]
    assert restoration.due_at == utc(2026, 3, 10, 17, 55)
    assert restoration.breached_at == utc(2026, 3, 9, 9, 0)


@pytest.mark.django_db
def test_priority_change_in_time_is_not_a_breach(world):
    case = open_email_case(world, at=utc(2026, 3, 9, 9, 0))
    services.change_priority(case, "P1", actor=world.agent, at=utc(2026, 3, 9, 10, 0))
    restoration = clocks(case)["restoration"]
    assert restoration.due_at == utc(2026, 3, 9, 13, 0)
    assert restoration.breached_at is None


@pytest.mark.django_db
def test_sms_is_a_case_without_guarantee(world):
    case = open_email_case(world, channel="sms", sender="+351912345678")
    assert not case.covered
    assert case.coverage_reason == "channel SMS carries no guarantee"
    clock = clocks(case)["first_response"]
    assert not clock.guaranteed
    # Close of the 2nd business day after Friday 6 March: Tuesday 10 March 18:00.
    assert clock.due_at == utc(2026, 3, 10, 18, 0)
    assert "restoration" not in clocks(case)
    assert services.sweep(now=utc(2026, 4, 1)) == 0


@pytest.mark.django_db
def test_unregistered_sender_of_the_organization_is_not_covered(world):
    case = open_email_case(world, sender="estranho@cliente-b.pt", organization=world.org)
    assert case.organization == world.org and not case.covered
    assert case.coverage_reason == "sender not registered"
    assert all(not c.guaranteed for c in case.clocks.all())


@pytest.mark.django_db
def test_unknown_sender_still_becomes_a_case(world):
    case = open_email_case(world, sender="someone@nowhere.example")
    assert case.pk and case.organization is None and not case.covered
    assert case.coverage_reason == "sender not registered"
    assert case.messages.get().body == "O site não abre."


@pytest.mark.django_db
def test_designated_only_plan_needs_the_designated_address(world):
    world.plan.designated_only = True
    world.plan.save()
    contract = world.org.contracts.get()
    contract.designated_email = "prioridade@webplug.example"
    contract.save()
    other = open_email_case(world)
    assert not other.covered
    assert other.coverage_reason == "not sent to the designated address prioridade@webplug.example"
    designated = services.open_case(
        subject="x",
        body="y",
        channel="email",
        sender="ana@cliente-b.pt",
        received_via="Prioridade@webplug.example",
        at=FRIDAY_1755,
    )
    assert designated.covered


@pytest.mark.django_db
def test_expired_contract_gives_no_guarantee(world):
    contract = world.org.contracts.get()
    contract.end = datetime(2025, 12, 31).date()
    contract.save()
    case = open_email_case(world)
    assert not case.covered
    assert case.coverage_reason == "no contract active on 2026-03-06"


@pytest.mark.django_db
def test_closed_case_refuses_changes(world):
    case = open_email_case(world)
    services.change_status(case, "closed", actor=world.agent, at=utc(2026, 3, 9, 10))
    with pytest.raises(services.CaseError) as error:
        services.post_reply(case, author=world.agent, body="x", at=utc(2026, 3, 9, 11))
    assert error.value.code == "closed"


@pytest.mark.django_db
def test_every_change_is_an_event(world):
    case = open_email_case(world)
    services.post_reply(case, author=world.agent, body="Olá", at=utc(2026, 3, 9, 9, 30))
    services.change_status(case, "waiting", actor=world.agent, at=utc(2026, 3, 9, 9, 31))
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds[:3] == ["created", "clock_started", "clock_started"]
    assert {"message", "clock_met", "status", "clock_paused"} <= set(kinds)


@pytest.mark.django_db
def test_priority_change_starts_a_promise_the_old_priority_did_not_make(world):
    # This plan's restoration row for P2 is 16 business hours; remove the generic row so a P3
    # case has no restoration clock, then raise it to P1 (4 h around the clock).
    world.plan.targets.filter(metric="restoration", priorities=[]).delete()
    case = open_email_case(world, at=utc(2026, 3, 9, 9, 0))
    assert "restoration" not in clocks(case)
    services.change_priority(case, "P1", actor=world.agent, at=utc(2026, 3, 9, 10, 0))
    restoration = clocks(case)["restoration"]
    assert restoration.started_at == utc(2026, 3, 9, 9, 0)
    assert restoration.due_at == utc(2026, 3, 9, 13, 0)
    assert restoration.breached_at is None


@pytest.mark.django_db
def test_a_call_answered_on_a_waiting_case_resumes_its_clock_as_reopening_it_does(world):
    """Answering reads the case's hours only when a clock moves: the waiting case's paused
    restoration clock resumes to the same due as the agent reopening it would give."""
    waiting, answered_at = utc(2026, 3, 9, 10, 0), utc(2026, 3, 9, 16, 0)
    answered, reopened = open_email_case(world), open_email_case(world)
    for case in (answered, reopened):
        services.change_status(case, "waiting", actor=world.agent, at=waiting)
    services.answer_call(answered, agent=world.agent, at=answered_at)
    services.change_status(reopened, "open", actor=world.agent, at=answered_at)
    by_call, by_hand = clocks(answered)["restoration"], clocks(reopened)["restoration"]
    # Paused Mon 10:00-13:00 and 14:00-16:00, 5 working hours: Tue 17:55 + 5 h = Wed 14:55.
    assert by_call.due_at == by_hand.due_at == utc(2026, 3, 11, 14, 55)
    assert by_call.paused_since is None and by_call.paused_work == by_hand.paused_work
    assert clocks(answered)["first_response"].met_at == answered_at
