"""Data shown to people in their language: world-file texts per language, channel names,
a password rule, and numbers written the locale's way (pages and PDFs)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from supportdesk.accounts.services import save_contact
from supportdesk.billing.statement import amount_shown, hours_shown
from supportdesk.billing.templatetags.billing import hours
from supportdesk.knowledge import services as knowledge
from supportdesk.knowledge.choices import ArticleStatus
from supportdesk.knowledge.models import Category
from supportdesk.plans.models import Plan
from supportdesk.status.templatetags.status_tags import percent
from supportdesk.tickets import services
from supportdesk.tickets.choices import Coverage, coverage_text
from supportdesk.world.loader import load_text
from tests.factories import add_target

pytestmark = pytest.mark.django_db

WORLD = """\
calendars:
  lisboa: {timezone: Europe/Lisbon, weekly: {mon: ["09:00-17:00"]}}
plans:
  premier:
    name: Premier
    calendar: lisboa
    entitlements: {ticket_l1: [admin, member], help_center: [admin, member]}
    priority_definitions:
      P1: {en: Everything is down., pl: Wszystko leży., pt: Está tudo em baixo.}
      P4: A question.
organizations:
  wisla:
    name: Wisła
    plan: premier
    contract: {start: 2026-01-01}
    contacts: [{name: Jan, email: jan@wisla.pl, role: admin, language: pl}]
knowledge_categories:
  billing: {en: Billing, pl: Rozliczenia, pt: Faturação}
"""


def test_world_file_texts_are_stored_per_language_and_shown_in_the_readers():
    load_text(WORLD)
    plan = Plan.objects.get(slug="premier")
    assert plan.priority_definitions["P1"]["pl"] == "Wszystko leży."
    assert plan.priority_definitions["P4"] == {"en": "A question."}  # one text is English
    assert plan.definitions_in("pt") == {"P1": "Está tudo em baixo.", "P4": "A question."}
    assert Category.objects.get(slug="billing").name_in("pt") == "Faturação"
    assert load_text(WORLD).changed() == 0


@pytest.mark.parametrize(
    ("language", "shown", "not_shown"),
    [
        ("pl", ["Wszystko leży.", "Rozliczenia"], ["Everything is down.", ">Billing<"]),
        ("pt", ["Está tudo em baixo.", "Faturação"], ["Everything is down.", ">Billing<"]),
        ("en", ["Everything is down.", "Billing"], ["Wszystko leży."]),
    ],
)
def test_plan_case_form_and_help_centre_pages_speak_the_readers_language(
    client, language, shown, not_shown
):
    load_text(WORLD)
    knowledge.save_article(
        "invoices",
        lang="en",
        title="Invoices",
        body="Invoices are sent monthly.",
        categories=["billing"],
        status=ArticleStatus.PUBLISHED,
    )
    jan = Plan.objects.get(slug="premier").contracts.get().organization.contacts.get()
    jan.user.set_password("secret-pass-123")
    jan.user.save()
    client.force_login(jan.user)
    client.cookies["supportdesk_language"] = language
    pages = "".join(
        client.get(reverse(name)).content.decode() for name in ("my_plan", "new_case", "kb")
    )
    for text in shown:
        assert text in pages
    for text in not_shown:
        assert text not in pages


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "channel SMS carries no guarantee"),
        ("pl", "kanał SMS nie daje gwarancji"),
        ("pt", "o canal SMS não tem garantia"),
    ],
)
def test_coverage_names_the_channel_as_people_read_it(world, language, expected):
    case = services.open_case(subject="?", body="!", channel="sms", contact=world.admin)
    assert case.coverage_code == Coverage.CHANNEL_UNGUARANTEED
    with translation.override(language):
        assert coverage_text(case.coverage_code, case.coverage_param) == expected


def test_the_plan_page_names_channels_by_their_labels(world, client):
    channels = ["email", "web", "api", "phone"]
    add_target(world.plan, "first_response", within=timedelta(hours=8), channels=channels)
    client.force_login(world.member.user)
    client.cookies["supportdesk_language"] = "pl"
    page = client.get(reverse("my_plan")).content.decode()
    assert "email, web, api, phone" not in page
    assert "Telefon" in page


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("pt", "Esta palavra-passe é demasiado curta: use pelo menos 8 caracteres."),
        ("pl", "To hasło jest za krótkie: użyj co najmniej 8 znaków."),
    ],
)
def test_a_short_password_is_refused_in_the_readers_language(language, message):
    with translation.override(language), pytest.raises(ValidationError) as refused:
        password_validation.validate_password("abc")
    assert message in refused.value.messages


def test_the_password_rule_shown_in_portuguese(world, client):
    contact = save_contact(world.org, name="Rui", email="rui@cliente-b.pt", role="member")
    assert contact.user is not None
    client.cookies["supportdesk_language"] = "pt"
    page = client.get(reverse("password_reset")).content.decode()
    assert "palavra-passe" in page


@pytest.mark.parametrize(
    ("language", "hours_text", "amount"),
    [("en", "5.00", "1234.50"), ("pl", "5,00", "1234,50"), ("pt", "5,00", "1234,50")],
)
def test_hours_and_amounts_follow_the_locale(language, hours_text, amount):
    with translation.override(language):
        assert hours_shown(300) == hours(300) == hours_text
        assert amount_shown(Decimal("1234.5")) == amount
        assert percent(0.99953) == ("99.95" if language == "en" else "99,95")  # status uptime
