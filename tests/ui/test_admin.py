"""The admin writes only what the services would: addresses as they are looked up, plans,
contracts and packs that keep their invariants; and the database refuses the rest.

Admin tests open the real change page, change what a person would type, and submit it.
"""

from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from supportdesk.accounts.models import Contact, RegisteredAddress, User
from supportdesk.accounts.services import find_contact
from supportdesk.billing.models import HourPack
from supportdesk.plans.models import Contract, Plan, SlaTarget
from tests.factories import World

pytestmark = pytest.mark.django_db


class FormReader(HTMLParser):
    """The values a browser would submit from the page's one editing form, as it stands."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") != "checkbox":
                self.data[name] = a.get("value") or ""
            elif "checked" in a:
                self.data[name] = "on"
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data.removeprefix("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


@pytest.fixture
def staff(world: World) -> Client:
    user = User.objects.create_superuser("admin@webplug.example", "admin-pass-123")
    client = Client()
    client.force_login(user)
    return client


def form_of(client: Client, url: str) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200
    reader = FormReader()
    reader.feed(page.content.decode())
    return {k: v for k, v in reader.data.items() if k not in ("q", "csrfmiddlewaretoken")}


def submit(client: Client, url: str, changes: dict[str, str]):
    """Submit the page's form with ``changes``; a saved form redirects, a refused one is
    the same page again with its errors."""
    return client.post(url, {**form_of(client, url), **changes})


def add_inline(data: dict[str, str], prefix: str, fields: dict[str, str]) -> dict[str, str]:
    """Fill the inline's next empty row, as the admin's "Add another" does."""
    n = int(data[f"{prefix}-TOTAL_FORMS"])
    return {
        **{f"{prefix}-{n}-{k}": v for k, v in fields.items()},
        f"{prefix}-TOTAL_FORMS": str(n + 1),
    }


def errors(response) -> str:
    assert response.status_code == 200, "the admin saved what it should have refused"
    return response.content.decode()


# ----------------------------------------------------------------------- contact addresses


def contact_url(contact: Contact) -> str:
    return f"/admin/accounts/contact/{contact.pk}/change/"


def test_an_address_typed_in_capitals_is_found_again(staff, world):
    url = contact_url(world.member)
    data = form_of(staff, url)
    new = {
        **add_inline(data, "addresses", {"kind": "email", "value": "  Bruno.Reis@Casa.PT "}),
    }
    new |= add_inline({**data, **new}, "addresses", {"kind": "phone", "value": "+351 91 234 0000"})
    response = staff.post(url, {**data, **new})
    assert response.status_code == 302, response.content.decode()[:2000]
    values = set(world.member.addresses.values_list("value", flat=True))
    assert values == {"bruno@cliente-b.pt", "bruno.reis@casa.pt", "+351912340000"}
    # A customer writing from the address, however they type it, is the registered contact.
    assert find_contact("Bruno.Reis@casa.pt") == world.member
    assert find_contact("+351912340000") == world.member


def test_an_existing_address_edited_in_the_admin_is_normalised(staff, world):
    url = contact_url(world.admin)
    data = form_of(staff, url)
    row = next(k for k, v in data.items() if v == "ana@cliente-b.pt")
    response = staff.post(url, {**data, row: "Ana@Cliente-B.PT"})
    assert response.status_code == 302
    assert find_contact("ana@cliente-b.pt") == world.admin
    assert world.admin.addresses.filter(value="ana@cliente-b.pt").count() == 1


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("email", "ana at cliente-b.pt", "is not an email address"),
        ("phone", "912 345 678", "is not a phone number in international form"),
        ("phone", "ana@cliente-b.pt", "is not a phone number in international form"),
    ],
)
def test_an_address_the_desk_could_not_look_up_is_refused(staff, world, kind, value, message):
    url = contact_url(world.member)
    data = form_of(staff, url)
    response = staff.post(
        url, {**data, **add_inline(data, "addresses", {"kind": kind, "value": value})}
    )
    assert message in errors(response)
    assert world.member.addresses.count() == 1


def test_the_same_address_in_two_spellings_is_one_address(staff, world):
    url = contact_url(world.member)
    data = form_of(staff, url)
    response = staff.post(
        url,
        {**data, **add_inline(data, "addresses", {"kind": "email", "value": "BRUNO@cliente-b.pt"})},
    )
    assert "Please correct the duplicate data for kind and value" in errors(response)
    assert world.member.addresses.count() == 1


# ----------------------------------------------------------------------- plans and targets


def plan_url(plan: Plan) -> str:
    return f"/admin/plans/plan/{plan.pk}/change/"


@pytest.mark.parametrize(
    ("fields", "ids"),
    [
        ({}, "neither"),
        ({"within": "04:00:00", "business_days": "2"}, "both"),
        ({"within": "00:00:00"}, "zero time"),
        ({"business_days": "0"}, "zero days"),
        ({"business_days": "1", "around_the_clock": "on"}, "business days 24/7"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_a_target_needs_exactly_one_amount(staff, world, fields, ids):
    url = plan_url(world.plan)
    data = form_of(staff, url)
    row = {"position": "4", "metric": "restoration", "guaranteed": "on", **fields}
    response = staff.post(url, {**data, **add_inline(data, "targets", row)})
    assert "Give exactly one of a time longer than zero or a number of business days" in errors(
        response
    )
    assert world.plan.targets.count() == 4
    # The plan page still renders every target.
    agent = Client()
    agent.force_login(world.agent)
    assert agent.get(f"/desk/plans/{world.plan.slug}/").status_code == 200


def test_a_target_with_one_amount_is_saved_and_shown(staff, world):
    url = plan_url(world.plan)
    data = form_of(staff, url)
    row = {"position": "4", "metric": "restoration", "business_days": "3", "guaranteed": "on"}
    response = staff.post(url, {**data, **add_inline(data, "targets", row)})
    assert response.status_code == 302
    assert world.plan.targets.get(position=4).business_days == 3
    agent = Client()
    agent.force_login(world.agent)
    page = agent.get(f"/desk/plans/{world.plan.slug}/").content.decode()
    assert "by the end of business day 3" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rate_in_hours": "-1.00"}, "Credit hours and rates cannot be negative."),
        ({"breach_credit_hours": "-0.50"}, "Credit hours and rates cannot be negative."),
        ({"block_in_hours": "00:00:00"}, "Billing blocks must be longer than zero."),
    ],
)
def test_a_plan_keeps_its_amounts(staff, world, changes, message):
    response = submit(staff, plan_url(world.plan), changes)
    assert message in errors(response)
    world.plan.refresh_from_db()
    assert world.plan.rate_in_hours == 0 and world.plan.block_in_hours == timedelta(minutes=15)


# ----------------------------------------------------------------------- contracts and packs


def test_a_contract_cannot_end_before_it_starts(staff, world):
    contract = Contract.objects.get(organization=world.org)
    url = f"/admin/plans/contract/{contract.pk}/change/"
    assert "The contract ends before it starts." in errors(
        submit(staff, url, {"end": "2019-12-31"})
    )
    assert "The monthly fee cannot be negative." in errors(
        submit(staff, url, {"monthly_fee": "-10.00"})
    )
    assert submit(staff, url, {"end": "2020-01-01", "monthly_fee": "0.00"}).status_code == 302
    contract.refresh_from_db()
    assert contract.end == date(2020, 1, 1)


ADD_PACK = "/admin/billing/hourpack/add/"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "single", "hours": "0", "purchased": "2026-01-05"}, "more than zero."),
        ({"kind": "single", "hours": "5"}, "A single pack has a purchase date"),
        ({"kind": "monthly", "hours": "5", "purchased": "2026-01-05"}, "a monthly pack a first"),
        ({"kind": "monthly", "hours": "5", "start_month": "2026-03-01", "end_month": "2026-02-01"},
         "not before the first"),
    ],
)  # fmt: skip
def test_a_pack_keeps_its_shape(staff, world, fields, message):
    response = submit(staff, ADD_PACK, {"organization": str(world.org.pk), **fields})
    assert message in errors(response)
    assert not HourPack.objects.exists()


def test_a_monthly_pack_counts_whole_months(staff, world):
    response = submit(
        staff,
        ADD_PACK,
        {"organization": str(world.org.pk), "kind": "monthly", "hours": "10",
         "start_month": "2026-03-15", "end_month": "2026-06-30"},
    )  # fmt: skip
    assert response.status_code == 302
    pack = HourPack.objects.get()
    assert (pack.start_month, pack.end_month) == (date(2026, 3, 1), date(2026, 6, 1))


# ----------------------------------------------------------------------- the database itself


def refused(create) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_the_database_refuses_addresses_not_in_their_looked_up_form(world):
    for kind, value in [
        ("email", "Ana@X.pt"),
        ("email", "ana"),
        ("phone", "912345678"),
        ("fax", "+351210000247"),
    ]:
        address = RegisteredAddress(contact=world.member, kind=kind, value=value)
        refused(address.save)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"within": timedelta(hours=4), "business_days": 1},
        {"within": timedelta(0)},
        {"within": -timedelta(hours=1)},
        {"business_days": 0},
        {"business_days": 1, "around_the_clock": True},
    ],
    ids=["neither", "both", "zero", "negative", "zero days", "days 24/7"],
)
def test_the_database_refuses_a_target_without_exactly_one_amount(world, fields):
    refused(
        lambda: SlaTarget.objects.create(
            plan=world.plan, position=9, metric="restoration", **fields
        )
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"breach_credit_hours": Decimal("-1")},
        {"rate_in_hours": Decimal("-0.01")},
        {"rate_out_of_hours": Decimal("-5")},
        {"block_in_hours": timedelta(0)},
        {"block_out_of_hours": -timedelta(minutes=15)},
    ],
    ids=lambda fields: next(iter(fields)),
)
def test_the_database_refuses_a_plan_with_impossible_amounts(world, fields):
    refused(lambda: Plan.objects.filter(pk=world.plan.pk).update(**fields))


@pytest.mark.parametrize(
    "fields",
    [
        {"end": date(2019, 12, 31)},
        {"monthly_fee": Decimal("-1")},
    ],
    ids=["ends before start", "negative fee"],
)
def test_the_database_refuses_a_contract_that_cannot_be(world, fields):
    refused(lambda: Contract.objects.filter(organization=world.org).update(**fields))


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "single", "hours": Decimal(0), "purchased": date(2026, 1, 5)},
        {"kind": "single", "hours": Decimal(-2), "purchased": date(2026, 1, 5)},
        {"kind": "single", "hours": Decimal(2)},
        {"kind": "single", "hours": Decimal(2), "purchased": date(2026, 1, 5),
         "start_month": date(2026, 1, 1)},
        {"kind": "monthly", "hours": Decimal(2)},
        {"kind": "monthly", "hours": Decimal(2), "start_month": date(2026, 1, 1),
         "purchased": date(2026, 1, 5)},
        {"kind": "monthly", "hours": Decimal(2), "start_month": date(2026, 3, 1),
         "end_month": date(2026, 2, 1)},
        {"kind": "yearly", "hours": Decimal(2), "purchased": date(2026, 1, 5)},
    ],
    ids=["zero hours", "negative hours", "single without date", "single with months",
         "monthly without month", "monthly with purchase", "monthly ending before", "no kind"],
)  # fmt: skip
def test_the_database_refuses_a_pack_that_cannot_be(world, fields):
    refused(lambda: HourPack.objects.create(organization=world.org, **fields))


@pytest.mark.django_db(transaction=True)
def test_addresses_typed_before_are_normalised_when_the_rule_arrives():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("accounts", "0003_brands")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    organization = apps.get_model("accounts", "Organization").objects.create(slug="b", name="B")
    contact = apps.get_model("accounts", "Contact").objects.create(
        organization=organization, name="Ana", role="admin"
    )
    addresses = apps.get_model("accounts", "RegisteredAddress").objects
    for kind, value in [
        ("email", " Ana@X.pt"),
        ("email", "Rui@X.pt"),
        ("email", "rui@x.pt"),  # the same address twice: one stays
        ("phone", "+351 91 234 5678"),
    ]:
        addresses.create(contact=contact, kind=kind, value=value)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # and every later migration back
    assert sorted(RegisteredAddress.objects.values_list("value", flat=True)) == [
        "+351912345678",
        "ana@x.pt",
        "rui@x.pt",
    ]
    assert find_contact("ANA@x.pt").pk == contact.pk
