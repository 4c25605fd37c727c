"""Translated data and the visitor's way to a person, in a real browser at desktop and phone
widths: a Polish customer reads the plan's priority definitions in Polish, a visitor who has
not signed in asks the chat for a person and leaves an address that opens a case, and the
help centre says "nothing found" with the way to ask a person. Screenshots go to
var/screenshots/.
"""

import subprocess
import sys

import pytest

from tests.e2e.conftest import ROOT, screenshot, sign_in

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

WIDTHS = [1280, 390]
JAN = "jan@wisla-e2e.pl"
WORLD = """
calendars:
  e2e-warszawa: {timezone: Europe/Warsaw, country: PL, weekly: {mon: ["08:00-16:00"]}}
plans:
  e2e-premier:
    name: Premier
    calendar: e2e-warszawa
    entitlements: {ticket_l1: [admin, member], help_center: [admin, member]}
    targets: [{metric: first_response, within: 4h}]
    priority_definitions:
      P1: {en: Everything is down., pl: Wszystko leży i nie ma obejścia., pt: Está tudo em baixo.}
      P3: {en: Something misbehaves., pl: Coś działa nie tak., pt: Algo funciona mal.}
organizations:
  e2e-wisla:
    name: Wisła Transport
    plan: e2e-premier
    contract: {start: 2026-01-01}
    contacts: [{name: Jan Kowalski, email: jan@wisla-e2e.pl, role: admin, language: pl}]
"""
SEED = (
    "import sys, django; django.setup(); "
    "from supportdesk.world.loader import load_text; from supportdesk.accounts.models import User; "
    "load_text(sys.stdin.read()); "
    "u = User.objects.get(email='jan@wisla-e2e.pl'); u.set_password(sys.argv[1]); u.save()"
)


@pytest.fixture(scope="module")
def translated(server):
    done = subprocess.run(
        [sys.executable, "-c", SEED, server.seeded["password"]],
        input=WORLD,
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return server


def fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= max(width, 390)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_polish_customer_reads_the_priority_definitions_in_polish(new_page, translated, width):
    page = new_page(locale="pl-PL", timezone_id="Europe/Warsaw", width=width)
    sign_in(page, JAN, translated.seeded["password"])
    page.goto("/plan/")
    priorities = page.locator("section[aria-labelledby=priorities-title]")
    expect(priorities).to_contain_text("Wszystko leży i nie ma obejścia.")
    expect(priorities).to_contain_text("Coś działa nie tak.")
    expect(priorities).not_to_contain_text("Everything is down")
    priorities.scroll_into_view_if_needed()
    fits(page, width)
    screenshot(page, f"translations-plan-priorities-pl-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_visitor_asks_for_a_person_and_leaves_an_address(new_page, server, width):
    page = new_page(locale="pt-PT", width=width)
    page.goto("/kb/")
    page.locator(".chat-toggle").click()
    page.locator("#chat-input").fill("Quero falar com uma pessoa")
    page.locator(".chat-form button[type=submit]").click()
    offer = page.locator(".chat-msg.system").last
    expect(offer).to_contain_text("deixe o seu endereço de email")
    sign_in_link = offer.get_by_role("link", name="Iniciar sessão")
    expect(sign_in_link).to_have_attribute("href", "/login/?next=%2Fkb%2F")
    offer.get_by_label("O seu endereço de email").fill(f"visitante-{width}@example.com")
    screenshot(page, f"visitor-handoff-form-pt-{width}")
    offer.get_by_role("button", name="Respondam-me por email").click()
    done = page.locator(".chat-msg.system").last
    expect(done).to_contain_text("Abrimos o pedido")
    expect(done).to_contain_text(f"visitante-{width}@example.com")
    expect(page.locator(".chat-state")).to_contain_text("Encaminhada como caso")
    fits(page, width)
    screenshot(page, f"visitor-handoff-case-pt-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_nonsense_finds_nothing_and_the_sign_in_page_leads_to_help(new_page, server, width):
    page = new_page(locale="pl-PL", width=width)
    page.goto("/kb/?q=zzzz+qwerty")
    nothing = page.locator(".kb-nothing")
    expect(nothing).to_contain_text("Nic nie znaleziono.")
    nothing.get_by_role("link", name="Zapytaj konsultanta e-mailem").click()
    expect(page.locator("h1")).to_have_text("Zapytaj konsultanta")
    page.locator("#id_email").fill(f"gosc-{width}@example.com")
    page.locator("#id_message").fill("Drukarka nie drukuje")
    page.locator("form:has(#id_email) button[type=submit]").click()
    expect(page.locator("[role=status]")).to_contain_text(f"gosc-{width}@example.com")
    fits(page, width)
    screenshot(page, f"visitor-write-pl-{width}")
    page.goto("/login/")
    page.get_by_role("link", name="Centrum pomocy: odpowiedzi bez logowania").click()
    expect(page).to_have_url(f"{server.url}/kb/")
