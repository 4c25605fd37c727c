"""Plans as code: ``load_world`` creates what the file says, idempotently, or nothing at all."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from supportdesk.accounts.models import Agent, Contact, Organization
from supportdesk.billing.models import HourPack
from supportdesk.plans.models import BusinessCalendar, Contract, Plan
from supportdesk.plans.services import Change
from supportdesk.world.loader import load_text
from supportdesk.world.source import SourceError
from tests.world.conftest import SAMPLE, Writes, snapshot

pytestmark = pytest.mark.django_db


def test_sample_world_creates_what_it_says(sample):
    calendar = BusinessCalendar.objects.get(slug="pt-lisbon")
    assert calendar.timezone == "Europe/Lisbon"
    assert calendar.country == "PT"
    assert calendar.holidays == ["2026-06-13"]
    assert calendar.weekly["mon"] == ["09:00-13:00", "14:00-18:00"]
    assert "sat" not in calendar.weekly
    assert calendar.exceptions == {"2026-08-14": [], "2026-12-24": ["09:00-13:00"]}

    plan = Plan.objects.get(slug="webplug-priority")
    assert plan.name == "Suporte Prioritário"
    assert plan.calendar == calendar
    assert plan.designated_only is True
    assert plan.pause_when_waiting is True  # the default
    assert plan.breach_credit_hours == Decimal("1")
    assert (plan.currency, plan.rate_in_hours, plan.rate_out_of_hours) == (
        "EUR",
        Decimal("45.00"),
        Decimal("67.50"),
    )
    assert plan.block_in_hours == timedelta(minutes=15)
    assert plan.block_out_of_hours == timedelta(minutes=30)
    assert plan.entitlements == {"phone_l1": ["licensed_member", "admin"], "ticket_l2": ["admin"]}
    # A text written once is the English one; others fall back to it.
    assert plan.priority_definitions == {
        "P1": {"en": "Everything is down."},
        "P4": {"en": "A question."},
    }
    assert plan.definitions_in("pl") == {"P1": "Everything is down.", "P4": "A question."}
    rows = [
        (t.position, t.metric, t.priorities, t.channels, t.within, t.business_days,
         t.around_the_clock, t.guaranteed)
        for t in plan.targets.all()
    ]  # fmt: skip
    assert rows == [
        (0, "first_response", [], ["email", "web", "phone"], timedelta(hours=4), None, False, True),
        (1, "restoration", ["P1"], [], timedelta(hours=4), None, True, True),
        (2, "restoration", [], [], timedelta(hours=16), None, False, True),
        (3, "first_response", [], [], None, 2, False, False),
    ]
    phone_row = Plan.objects.get(slug="webplug-247").targets.get(position=0)
    assert phone_row.designated is True and phone_row.around_the_clock
    assert Plan.objects.get(slug="no-plan").fallback is True

    org = Organization.objects.get(slug="cliente-b")
    assert org.name == "Cliente B, Lda."
    contract = Contract.objects.get(organization=org)
    assert contract.plan == plan
    assert (contract.start, contract.end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert contract.monthly_fee == Decimal("49.00")
    assert contract.designated_email == "prioridade@webplug.example"
    assert contract.designated_phone == "+351210000247"  # normalised to E.164
    assert contract.account_manager.email == "pedro@webplug.example"

    ana = Contact.objects.get(organization=org, name="Ana Silva")
    assert (ana.role, ana.email, ana.phone) == ("admin", "ana@cliente-b.pt", "+351912345678")
    assert ana.user.email == "ana@cliente-b.pt"
    assert Contact.objects.get(name="Bruno Reis").language == "pt"

    packs = {
        (p.kind, p.hours, p.purchased, p.start_month)
        for p in HourPack.objects.filter(organization=org)
    }
    assert packs == {
        ("single", Decimal("10"), date(2026, 1, 15), None),
        ("monthly", Decimal("4"), None, date(2026, 1, 1)),
    }

    pedro = Agent.objects.get(user__email="pedro@webplug.example")
    assert pedro.level == "L2"
    assert sorted(pedro.teams.values_list("slug", flat=True)) == ["geral", "tecnico"]
    assert sample.counts[("plans", Change.CREATED)] == 4


def test_loading_twice_changes_nothing(sample):
    before = snapshot()
    with Writes() as writes:
        report = call_load(SAMPLE)
    assert writes.statements == []
    assert snapshot() == before
    assert "0 created, 0 updated" in report


def call_load(path: Path) -> str:
    out = StringIO()
    call_command("load_world", str(path), stdout=out)
    return out.getvalue()


def test_a_changed_value_is_updated_and_nothing_else(sample, tmp_path):
    before = snapshot()
    text = SAMPLE.read_text().replace('rate_in_hours: "45.00"', 'rate_in_hours: "47.50"')
    report = load_text(text, "changed.yaml")
    assert Plan.objects.get(slug="webplug-priority").rate_in_hours == Decimal("47.50")
    assert report.counts[("plans", Change.UPDATED)] == 1
    assert report.changed() == 1
    after = snapshot()
    for model in before:
        if model != "Plan":
            assert after[model] == before[model], model
    # The target rows were not touched: the clocks pointing at them keep their rule.
    assert after["SlaTarget"] == before["SlaTarget"]


def test_a_changed_target_updates_its_row_in_place(sample):
    plan = Plan.objects.get(slug="webplug-priority")
    ids = list(plan.targets.values_list("pk", flat=True))
    calendar_stamp = BusinessCalendar.objects.get().updated_at
    text = SAMPLE.read_text().replace(
        "{metric: restoration, within: 16h}", "{metric: restoration, within: 12h}"
    )
    load_text(text)
    assert list(plan.targets.values_list("pk", flat=True)) == ids
    assert plan.targets.get(position=2).within == timedelta(hours=12)
    assert BusinessCalendar.objects.get().updated_at == calendar_stamp


def test_a_changed_calendar_gets_a_new_stamp(sample):
    stamp = BusinessCalendar.objects.get().updated_at
    load_text(SAMPLE.read_text().replace("holidays: [2026-06-13]", "holidays: [2026-06-12]"))
    calendar = BusinessCalendar.objects.get()
    assert calendar.holidays == ["2026-06-12"]
    assert calendar.updated_at > stamp  # what invalidates the cached kernel


def test_what_the_file_does_not_name_is_left_alone(sample):
    other = Organization.objects.create(slug="outra", name="Outra, S.A.")
    extra = Contact.objects.create(organization=Organization.objects.get(slug="cliente-b"),
                                   name="Carla Dias", role="member")  # fmt: skip
    load_text(SAMPLE.read_text())
    assert Organization.objects.filter(pk=other.pk).exists()
    assert Contact.objects.filter(pk=extra.pk).exists()


def test_references_may_point_at_the_database(sample):
    text = """
plans:
  later:
    name: Later
    calendar: pt-lisbon
organizations:
  nova:
    name: Nova
    plan: webplug-standard
    contract: {start: 2026-02-01, account_manager: joao@webplug.example}
"""
    load_text(text)
    contract = Contract.objects.get(organization__slug="nova")
    assert contract.plan.slug == "webplug-standard"
    assert contract.account_manager.email == "joao@webplug.example"
    assert Plan.objects.get(slug="later").calendar.slug == "pt-lisbon"


def test_a_contract_may_name_the_customers_region(sample):
    """A plan sold across regions: the contract names whose business hours its clocks count."""
    text = """
calendars:
  pl-warsaw:
    timezone: Europe/Warsaw
    country: PL
    weekly: {mon: ["08:00-18:00"], tue: ["08:00-18:00"]}
organizations:
  nova:
    name: Nova
    plan: webplug-standard
    contract: {start: 2026-02-01, calendar: pl-warsaw}
"""
    load_text(text)
    contract = Contract.objects.get(organization__slug="nova")
    assert contract.calendar.slug == "pl-warsaw"
    assert contract.business_calendar.slug == "pl-warsaw"
    assert contract.plan.calendar.slug == "pt-lisbon"
    assert load_text(text).changed() == 0
    load_text(text.replace(", calendar: pl-warsaw", ""))
    contract.refresh_from_db()
    assert contract.calendar is None and contract.business_calendar.slug == "pt-lisbon"


# --------------------------------------------------------------------------- errors

BAD_FILES = {
    "bad duration": (
        SAMPLE.read_text().replace(
            "{metric: restoration, within: 16h}", "{metric: restoration, within: 4 horas}"
        ),
        24,
        "plans.webplug-priority.targets[2].within",
        '"4 horas" is not a duration like 15m, 4h or 14d',
    ),
    "unknown calendar": (
        SAMPLE.read_text().replace(
            "calendar: pt-lisbon\n    fallback", "calendar: pt-lisbin\n    fallback"
        ),
        47,
        "plans.no-plan.calendar",
        'calendar "pt-lisbin" is neither in this file nor in the database',
    ),
    "bad time zone": (
        SAMPLE.read_text().replace("Europe/Lisbon", "Europe/Lisboa"),
        4,
        "calendars.pt-lisbon.timezone",
        '"Europe/Lisboa" is not a time zone like Europe/Lisbon',
    ),
    "overlapping intervals": (
        SAMPLE.read_text().replace(
            'tue: ["09:00-13:00", "14:00-18:00"]', 'tue: ["09:00-13:00", "12:00-18:00"]'
        ),
        9,
        "calendars.pt-lisbon.weekly.tue",
        "intervals 09:00-13:00 and 12:00-18:00 overlap",
    ),
    "unknown key": (
        SAMPLE.read_text().replace(
            "designated_only: true\n    targets", "designated_onyl: true\n    targets"
        ),
        20,
        "plans.webplug-priority.designated_onyl",
        'unknown key "designated_onyl"; did you mean "designated_only"?',
    ),
    "unknown plan": (
        SAMPLE.read_text().replace("plan: webplug-standard", "plan: webplug-standart"),
        79,
        "organizations.padaria.plan",
        'plan "webplug-standart" is neither in this file nor in the database',
    ),
    "bad role": (
        SAMPLE.read_text().replace("role: member, language: pt", "role: boss, language: pt"),
        65,
        "organizations.cliente-b.contacts[1].role",
        '"boss" is not one of member, licensed_member, admin, owner',
    ),
    "bad phone": (
        SAMPLE.read_text().replace('"+351912000101"', '"912 000 101"'),
        82,
        "organizations.padaria.contacts[0].phone",
        '"912 000 101" is not a phone number in international form',
    ),
    "unknown account manager": (
        SAMPLE.read_text().replace("account_manager: pedro@", "account_manager: paulo@"),
        61,
        "organizations.cliente-b.contract.account_manager",
        'account manager "paulo@webplug.example" is not an agent',
    ),
    "unknown region calendar": (
        SAMPLE.read_text().replace(
            "account_manager: pedro@webplug.example}",
            "account_manager: pedro@webplug.example, calendar: pl-nowhere}",
        ),
        61,
        "organizations.cliente-b.contract.calendar",
        'calendar "pl-nowhere" is neither in this file nor in the database',
    ),
    "bad country": (
        SAMPLE.read_text().replace("country: PT", "country: XX"),
        5,
        "calendars.pt-lisbon.country",
        '"XX" is not a country code',
    ),
    "country as a list": (
        SAMPLE.read_text().replace("country: PT", "country: [PT]"),
        5,
        "calendars.pt-lisbon.country",
        "expected text, got a list",
    ),
    "within and business_days": (
        SAMPLE.read_text().replace(
            "{metric: first_response, business_days: 1}",
            "{metric: first_response, business_days: 1, within: 4h}",
        ),
        44,
        "plans.webplug-standard.targets[0]",
        "give exactly one of within (e.g. 4h) or business_days (e.g. 1)",
    ),
    "bad decimal": (
        SAMPLE.read_text().replace('rate_out_of_hours: "67.50"', 'rate_out_of_hours: "67,50"'),
        26,
        "plans.webplug-priority.billing.rate_out_of_hours",
        '"67,50" is not an amount like 45.00',
    ),
    "bad date": (
        SAMPLE.read_text().replace("purchased: 2026-01-15", "purchased: 2026-02-30"),
        67,
        "organizations.cliente-b.packs[0].purchased",
        '"2026-02-30" is not a date like 2026-01-31',
    ),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_an_error_names_key_path_and_line_and_changes_nothing(db, tmp_path, case):
    text, line, path, message = BAD_FILES[case]
    source = tmp_path / "world.yaml"
    source.write_text(text)
    before = snapshot()
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_world", str(source), stderr=err)
    lines = err.getvalue().splitlines()
    assert any(entry.startswith(f"{source}:{line}: {path}: {message}") for entry in lines), lines
    assert snapshot() == before


def test_every_error_is_reported_at_once(db):
    text = SAMPLE.read_text()
    text = text.replace("Europe/Lisbon", "Mars/Olympus")
    text = text.replace(
        "{metric: restoration, within: 16h}", "{metric: restoration, within: 4 horas}"
    )
    text = text.replace("level: L1", "level: L3")
    with pytest.raises(SourceError) as caught:
        load_text(text, "w.yaml")
    paths = [p.path for p in caught.value.problems]
    assert paths == [
        "calendars.pt-lisbon.timezone",
        "plans.webplug-priority.targets[2].within",
        "agents[0].level",
    ]
    assert not BusinessCalendar.objects.exists()


def test_an_error_in_the_database_state_changes_nothing(sample):
    """A reference to something the database lacks fails the whole file, not just the line."""
    before = snapshot()
    text = SAMPLE.read_text().replace("Cliente B, Lda.", "Cliente B, S.A.") + (
        "  nova:\n    name: Nova\n    plan: ghost-plan\n    contract: {start: 2026-01-01}\n"
    )
    with pytest.raises(SourceError, match="ghost-plan"):
        load_text(text)
    assert snapshot() == before


def test_yaml_syntax_and_duplicate_keys(db):
    with pytest.raises(SourceError) as caught:
        load_text("plans:\n  a: {name: A\n", "w.yaml")
    assert caught.value.lines()[0].startswith("w.yaml:")
    with pytest.raises(SourceError) as caught:
        load_text(
            "calendars:\n  c:\n    timezone: UTC\n    timezone: UTC\n    weekly: {}\n", "w.yaml"
        )
    assert caught.value.lines() == [
        "w.yaml:4: calendars.c.timezone: duplicate key (first written on line 3)"
    ]


def test_an_address_cannot_belong_to_two_organizations(sample):
    text = """
organizations:
  outra:
    name: Outra
    contacts:
      - {name: Ana, email: ana@cliente-b.pt, role: admin}
"""
    with pytest.raises(SourceError) as caught:
        load_text(text, "w.yaml")
    assert caught.value.lines() == [
        'w.yaml:6: organizations.outra.contacts[0].email: "ana@cliente-b.pt" is registered '
        "to a contact of cliente-b in the database"
    ]


def test_only_one_fallback_plan(sample):
    text = "plans:\n  other:\n    name: Other\n    calendar: pt-lisbon\n    fallback: true\n"
    with pytest.raises(SourceError, match="only one plan can be the fallback"):
        load_text(text)


def test_a_missing_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("load_world", str(tmp_path / "nowhere.yaml"))
