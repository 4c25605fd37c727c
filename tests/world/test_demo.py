"""The demo world loads, tells its cases' whole story, and loads only once."""

from io import StringIO

import pytest
from django.core.management import call_command

from supportdesk.accounts.models import Organization, User
from supportdesk.billing.models import BreachCredit
from supportdesk.plans.models import Plan
from supportdesk.tickets.models import Case, SlaClock
from supportdesk.world.demo import DEMO_WORLD, demo_logins
from supportdesk.world.loader import load_file
from tests.world.conftest import Writes, snapshot

pytestmark = pytest.mark.django_db


def demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_the_demo_world_file_loads_and_is_idempotent():
    load_file(DEMO_WORLD)
    assert Plan.objects.get(fallback=True).slug == "webplug-no-plan"
    assert Plan.objects.get(slug="meetwave-premier-plus").automatic_escalation
    assert set(Plan.objects.get(slug="meetwave-premier").priority_definitions) == {
        "P1", "P2", "P3", "P4",
    }  # fmt: skip
    before = snapshot()
    with Writes() as writes:
        load_file(DEMO_WORLD)
    assert writes.statements == []
    assert snapshot() == before


def test_demo_creates_cases_in_every_state(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    demo()
    statuses = set(Case.objects.values_list("status", flat=True))
    assert statuses == {"new", "open", "waiting", "resolved", "closed"}
    assert SlaClock.objects.filter(breached_at__isnull=False).exists()
    assert BreachCredit.objects.exists()
    uncovered = dict(Case.objects.filter(covered=False).values_list("reference", "coverage_code"))
    assert uncovered["WP-1005"] == "channel_unguaranteed"  # the SMS
    assert uncovered["WP-1006"] == "sender_not_registered"  # nobody we know
    assert uncovered["WP-1002"] == "not_designated"
    # The 24/7 call missed its five minutes: two free hours, once.
    assert Case.objects.get(reference="WP-1003").credit.hours == 2
    # Premier+ P1 restored late: escalated to Level 2 on its own.
    assert Case.objects.get(reference="MW-2001").level == "L2"

    admin = User.objects.get(email="admin@supportdesk.example")
    assert admin.is_superuser and admin.check_password("supportdesk-demo")
    assert User.objects.get(email="joao@webplug.example").check_password("supportdesk-demo")
    assert User.objects.get(email="ana@tejo-advogados.pt.example").check_password(
        "supportdesk-demo"
    )
    logins = demo_logins()
    assert logins[0] == "admin    admin@supportdesk.example / supportdesk-demo"
    assert any(line.startswith("agent    joao@webplug.example / ") for line in logins)
    assert any("ana@tejo-advogados.pt.example" in line for line in logins)


def test_demo_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-secret-1")
    demo()
    assert User.objects.get(email="sofia@meetwave.example").check_password("another-secret-1")
    assert all(line.split(" / ")[1].startswith("another-secret-1") for line in demo_logins())


def test_demo_if_empty_twice_changes_nothing():
    demo("--if-empty")
    cases = Case.objects.count()
    before = snapshot()
    with Writes() as writes:
        output = demo("--if-empty")
    assert writes.statements == []
    assert "not loaded" in output
    assert Case.objects.count() == cases
    assert snapshot() == before


def test_demo_if_empty_leaves_a_database_with_data_alone():
    Organization.objects.create(slug="mine", name="Mine")
    demo("--if-empty")
    assert not Case.objects.exists()
    assert not User.objects.filter(email="admin@supportdesk.example").exists()


def test_demo_again_does_not_duplicate_cases():
    demo()
    cases = Case.objects.count()
    demo()
    assert Case.objects.count() == cases


def test_demo_logins_is_empty_without_demo_users():
    assert demo_logins() == []
