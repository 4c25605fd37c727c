"""Rows by key (``supportdesk.db``): the SQL compiled once must read and write exactly what the
ORM reads and writes, on SQLite and on PostgreSQL."""

from datetime import UTC, datetime

import pytest

from supportdesk.db import fetch_row, fetch_rows, insert_rows, save_fields
from supportdesk.tickets import services
from supportdesk.tickets.models import Case, Event, SlaClock

AT = datetime(2026, 3, 9, 10, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def case(world) -> Case:
    return services.open_case(
        subject="Site em baixo", body="O site não abre.", channel="email",
        sender="ana@cliente-b.pt", received_via="suporte@webplug.example", at=AT,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_row_fetched_by_key_is_the_row_the_orm_loads(case):
    fetched = fetch_row(Case, pk=case.pk)
    loaded = Case.objects.get(pk=case.pk)
    columns = [f.attname for f in Case._meta.concrete_fields]
    assert [getattr(fetched, c) for c in columns] == [getattr(loaded, c) for c in columns]
    assert fetched.received_at == AT and fetched.received_at.tzinfo is not None
    assert fetch_row(Case, reference=case.reference).pk == case.pk
    assert fetch_row(Case, pk=case.pk + 1000) is None


@pytest.mark.django_db
def test_rows_inserted_together_get_their_keys_in_order_and_read_back_whole(case, world):
    made = [
        Event(case=case, at=AT, kind="note", actor=world.agent, before=None, after={"n": n})
        for n in range(3)
    ]
    insert_rows(made)
    assert [e.pk for e in made] == sorted(e.pk for e in made)
    for event in made:
        stored = Event.objects.get(pk=event.pk)
        assert (stored.case_id, stored.at, stored.actor_id, stored.after) == (
            case.pk, AT, world.agent.pk, event.after,
        )  # fmt: skip


@pytest.mark.django_db
def test_saving_named_fields_changes_those_and_no_other(case, world):
    stale = Case.objects.get(pk=case.pk)
    stale.subject = "changed elsewhere, never saved"
    case.assignee = world.agent
    case.status = "open"
    save_fields(case, "assignee", "status")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.assignee_id, stored.status, stored.subject) == (
        world.agent.pk, "open", "Site em baixo",
    )  # fmt: skip


@pytest.mark.django_db
def test_rows_fetched_by_key_are_the_rows_the_orm_loads_in_the_same_order(case):
    fetched = fetch_rows(SlaClock, "metric", case_id=case.pk)
    loaded = list(case.clocks.order_by("metric", "pk"))
    columns = [f.attname for f in SlaClock._meta.concrete_fields]
    assert len(fetched) >= 2  # first response and restoration
    assert [[getattr(c, n) for n in columns] for c in fetched] == [
        [getattr(c, n) for n in columns] for c in loaded
    ]
    assert fetch_rows(SlaClock, "metric", case_id=case.pk + 1000) == []


@pytest.mark.django_db
def test_rows_fetched_with_their_related_rows_match_select_related(
    world, django_assert_num_queries
):
    from datetime import date

    from supportdesk.plans.models import Contract

    org = world.admin.organization
    Contract.objects.create(
        organization=org, plan=world.plan, start=date(2025, 1, 1), account_manager=world.agent
    )
    related = ("plan", "plan__calendar", "calendar", "account_manager")
    fetched = fetch_rows(Contract, ("-start", "-pk"), related=related, organization_id=org.pk)
    loaded = list(
        Contract.objects.filter(organization=org).select_related(*related).order_by("-start", "-pk")
    )
    assert [c.pk for c in fetched] == [c.pk for c in loaded] and len(fetched) == 2
    with django_assert_num_queries(0):  # all in the rows fetched; a null key reads None
        for got, want in zip(fetched, loaded, strict=True):
            for path in related:
                a, b = got, want
                for name in path.split("__"):
                    a, b = getattr(a, name), getattr(b, name)
                assert (a and a.pk, type(a)) == (b and b.pk, type(b)), path
            assert got.plan.calendar.timezone == want.plan.calendar.timezone
        newest, oldest = fetched
        assert newest.account_manager.email == world.agent.email
        assert oldest.account_manager is None and oldest.calendar is None


@pytest.mark.django_db
def test_rows_fetched_by_a_key_of_several_fields(world):
    from supportdesk.accounts.models import RegisteredAddress

    found = fetch_rows(RegisteredAddress, "pk", kind="email", value="ana@cliente-b.pt")
    assert [a.contact_id for a in found] == [world.admin.pk]
    assert fetch_rows(RegisteredAddress, "pk", kind="phone", value="ana@cliente-b.pt") == []
