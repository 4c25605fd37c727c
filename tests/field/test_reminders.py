"""Customers are contacted before their contract ends: 60 days before (the plan's setting),
the account manager gets a task on their queue and the organization's administrators a mail
in their own language; once per contract end, however often the worker looks."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from supportdesk.field.models import RenewalReminder
from supportdesk.field.services import send_renewal_reminders
from supportdesk.field.tasks import remind_contract_ends
from supportdesk.plans.models import Contract
from supportdesk.runtime.scheduler import PERIODIC
from supportdesk.tickets.models import Case, OutboundMessage
from tests.field.conftest import make_orange

WARSAW = ZoneInfo("Europe/Warsaw")
END = date(2027, 1, 31)


def morning(day: date) -> datetime:
    return datetime.combine(day, time(7, 0), tzinfo=WARSAW)


@pytest.fixture
def orange(db):
    return make_orange(contract_end=END)


def test_reminded_sixty_days_before_the_end_once(orange):
    assert send_renewal_reminders(morning(date(2026, 11, 30))) == 0  # 62 days before
    assert send_renewal_reminders(morning(date(2026, 12, 2))) == 1  # 60 days before
    assert send_renewal_reminders(morning(date(2026, 12, 2))) == 0
    assert send_renewal_reminders(morning(date(2026, 12, 20))) == 0
    reminder = RenewalReminder.objects.get()
    assert reminder.contract_end == END

    task = reminder.task
    assert task.assignee == orange.agent  # the contract's account manager
    assert "Kancelaria Nowak" in task.subject
    assert task in Case.objects.open().filter(assignee=orange.agent)
    # An internal task: the customer's administrator never sees it in the portal.
    assert not Case.objects.visible_to(orange.admin.user).filter(pk=task.pk).exists()

    mail = OutboundMessage.objects.get(to="joanna@nowak.pl")  # the admin, not the member
    assert "umowa" in mail.subject.lower()  # in Polish, her language
    assert "Kancelaria Nowak" in mail.body
    assert not OutboundMessage.objects.filter(to="zofia@nowak.pl").exists()


def test_a_changed_end_is_reminded_again(orange):
    send_renewal_reminders(morning(date(2026, 12, 2)))
    Contract.objects.filter(organization=orange.org).update(end=date(2027, 3, 31))
    assert send_renewal_reminders(morning(date(2027, 1, 30))) == 1
    assert RenewalReminder.objects.count() == 2


def test_the_notice_is_the_plans_setting(orange):
    orange.plan.renewal_notice_days = 30
    orange.plan.save()
    assert send_renewal_reminders(morning(date(2026, 12, 2))) == 0
    assert send_renewal_reminders(morning(date(2027, 1, 1))) == 1


def test_the_worker_runs_the_reminders_periodically(orange):
    assert remind_contract_ends in PERIODIC
