"""Closing a month once its statement is sent: its time can no longer be added, corrected or
removed (through any door: services, case page, API, import), until someone reopens it.

The test plan counts Lisbon, on UTC in winter and UTC+1 from the last Sunday of March, so April
begins at 2026-03-31 23:00 UTC.
"""

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportdesk.accounts.services import issue_token
from supportdesk.billing import services
from supportdesk.billing.errors import BillingError, BillingErrorCode
from supportdesk.billing.models import ClosedMonth
from supportdesk.billing.statement import Months
from tests.billing.conftest import at

pytestmark = pytest.mark.django_db
MARCH = date(2026, 3, 1)
APRIL_2 = at("2026-04-02 12:00")


def refused(code, call, *args, **kwargs) -> BillingError:
    with pytest.raises(BillingError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


def test_a_month_closes_only_once_it_is_over(bw):
    refused(
        BillingErrorCode.MONTH_NOT_OVER,
        services.close_month,
        bw.org,
        MARCH,
        actor=bw.agent,
        at=at("2026-03-31 22:59"),  # 23:59 in Lisbon
    )
    closed = services.close_month(bw.org, MARCH, actor=bw.agent, at=at("2026-03-31 23:00"))
    assert (closed.month, closed.closed_by) == (MARCH, bw.agent)
    refused(BillingErrorCode.MONTH_CLOSED, services.close_month, bw.org, MARCH, actor=bw.agent)


def test_time_in_a_closed_month_stays_as_it_is(bw, case, work):
    entry = work("2026-03-02 10:00", "2026-03-02 11:00")
    services.close_month(bw.org, MARCH, actor=bw.agent, at=APRIL_2)
    error = refused(BillingErrorCode.MONTH_CLOSED, work, "2026-03-03 10:00", "2026-03-03 11:00")
    assert "2026-03" in error.message
    refused(
        BillingErrorCode.MONTH_CLOSED,
        services.change_entry,
        entry,
        actor=bw.agent,
        start=entry.start,
        end=entry.end,
        billable=False,
        note="",
    )
    refused(BillingErrorCode.MONTH_CLOSED, services.delete_entry, entry, actor=bw.agent)
    # Work across the boundary touches March; work from April's first instant does not.
    refused(BillingErrorCode.MONTH_CLOSED, work, "2026-03-31 22:30", "2026-03-31 23:30")
    work("2026-03-31 23:00", "2026-04-01 00:30")
    later = work("2026-04-01 09:00", "2026-04-01 10:00")
    refused(  # nor can April's entry be moved back into March
        BillingErrorCode.MONTH_CLOSED,
        services.change_entry,
        later,
        actor=bw.agent,
        start=at("2026-03-30 09:00"),
        end=at("2026-03-30 10:00"),
        billable=True,
        note="",
    )
    services.reopen_month(bw.org, MARCH, actor=bw.agent)
    services.delete_entry(entry, actor=bw.agent)


def test_a_timer_running_from_inside_the_month_keeps_it_open(bw, case):
    services.start_timer(case, bw.agent, at=at("2026-03-31 20:00"))
    error = refused(
        BillingErrorCode.TIMER_RUNNING, services.close_month, bw.org, MARCH, actor=bw.agent
    )
    assert case.label in error.message
    services.stop_timer(bw.agent, at=at("2026-03-31 21:00"))
    services.close_month(bw.org, MARCH, actor=bw.agent, at=APRIL_2)


def test_closing_through_the_api_and_the_command(bw, case):
    agent = Client(headers={"authorization": f"Bearer {issue_token(bw.agent, 'tests')}"})
    url = "/api/billing/statements/cliente-b/2026-02/close"
    done = agent.post(url)
    assert done.status_code == 201, done.content
    assert done.json()["month"] == "2026-02" and done.json()["closed_by"] == bw.agent.email
    assert agent.post(url).json()["code"] == "month_closed"
    admin = Client(headers={"authorization": f"Bearer {issue_token(bw.admin.user, 'tests')}"})
    assert admin.delete(url).status_code == 403
    assert agent.delete(url).status_code == 204
    assert agent.delete(url).status_code == 400
    out = io.StringIO()
    by = ["--by", bw.agent.email]
    call_command("close_month", "cliente-b", "--month", "2026-02", *by, stdout=out)
    assert "2026-02 closed." in out.getvalue()
    assert ClosedMonth.objects.filter(organization=bw.org, month=date(2026, 2, 1)).exists()


def test_closing_from_the_statement_page(bw, case, client):
    client.force_login(bw.agent)
    page = reverse("billing:org_statement", args=["cliente-b"])
    assert "Close the month" in client.get(page, {"month": "2026-02"}).content.decode()
    closing = reverse("billing:month_close", args=["cliente-b", "2026-02"])
    shown = client.post(closing, follow=True).content.decode()
    assert "2026-02 closed." in shown and "Reopen the month" in shown and "Closed on" in shown
    client.force_login(bw.admin.user)
    assert client.post(closing).status_code in (302, 403, 404)
    assert ClosedMonth.objects.count() == 1


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)),
        st.builds(  # near a month's turn, where zones disagree about the month
            lambda year, month, minutes: datetime(year, month, 1) + timedelta(minutes=minutes),
            st.integers(2025, 2027),
            st.integers(1, 12),
            st.integers(-26 * 60, 26 * 60),
        ),
    )
)
def test_an_instant_belongs_to_the_month_of_its_local_date(world, naive):
    """Oracle: the month of the instant's date on the plan calendar's wall clock (the world is
    only read here, so sharing it between examples is safe)."""
    instant = naive.replace(tzinfo=UTC)
    local = instant.astimezone(ZoneInfo("Europe/Lisbon")).date()
    assert Months(world.org).month_at(instant) == local.replace(day=1)
