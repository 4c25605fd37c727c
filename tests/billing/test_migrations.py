"""Packs of hours (once kept by plans) and breach credits (once kept by tickets) moved to billing
with their tables: a database migrated from before the move keeps every pack and credit."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from supportdesk.billing.models import BreachCredit, HourPack
from supportdesk.tickets import services

#: Where plans and tickets let go of the models; billing's migration after them takes them up.
LET_GO = [("plans", "0006_hourpack_to_billing"), ("tickets", "0010_breachcredit_to_billing")]


@pytest.mark.django_db(transaction=True)
def test_packs_and_credits_written_before_the_move_are_billings_after_it(world):
    case = services.open_case(
        subject="Site em baixo",
        body="O site não abre.",
        channel="email",
        priority="P3",
        sender="ana@cliente-b.pt",
        received_via="suporte@webplug.example",
        at=datetime(2026, 3, 6, 17, 55, tzinfo=UTC),
    )
    may_change_packs = Permission.objects.get(codename="change_hourpack")
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    before = [
        parent.key
        for node in LET_GO
        for parent in graph.node_map[node].parents
        if parent.key[0] == node[0]
    ]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    pack = apps.get_model("plans", "HourPack").objects.create(
        organization_id=world.org.pk, kind="single", hours="10.00", purchased=date(2026, 1, 5)
    )
    credit = apps.get_model("tickets", "BreachCredit").objects.create(
        case_id=case.pk,
        organization_id=world.org.pk,
        hours="1.00",
        granted_at=datetime(2026, 3, 9, 12, 55, tzinfo=UTC),
    )
    # Before the move the models' content types carried the old apps' labels.
    old_type = apps.get_model("contenttypes", "ContentType").objects.get(
        pk=may_change_packs.content_type_id
    )
    assert (old_type.app_label, old_type.model) == ("plans", "hourpack")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # the move, and every later migration

    moved_pack = HourPack.objects.get(pk=pack.pk)
    assert (moved_pack.organization, moved_pack.hours, moved_pack.purchased) == (
        world.org,
        Decimal("10.00"),
        date(2026, 1, 5),
    )
    assert BreachCredit.objects.get(pk=credit.pk).case == case
    assert case.credit.hours == Decimal("1.00")
    # A permission granted on packs before the move still grants it on billing's packs.
    may_change_packs.refresh_from_db()
    assert may_change_packs.content_type.app_label == "billing"
    assert HourPack._meta.db_table == "plans_hourpack"
    assert BreachCredit._meta.db_table == "tickets_breachcredit"
