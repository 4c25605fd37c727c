"""Times in the viewer's zone, and the details a person stumbles on, in a real browser.

A Polish customer who chose no zone reads his case's promise in his organization's zone
(Warsaw: the zone of its contract's calendar), marked "CET" while his browser is elsewhere and
unmarked once it is in Warsaw; the plan page names the hours his contract counts. A Portuguese
customer reads Lisbon's. The agent's case page says working time left and the due date, has
unique ids and fits a 390 px phone; so does the plan matrix, with the customer's own column in
view. An organization without a contract gets an explanation on its statement page; "Close
the month" is offered only for a month that is over. Desktop and phone widths, pl and pt;
screenshots go to var/screenshots/.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import screenshot, sign_in

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

AGENT = "joao@webplug.example"
PIOTR = "piotr@wisla.pl"
RITA = "rita@cliente-b.pt"
WIDTHS = [1280, 390]
ZONE_ABBREVIATION = re.compile(r"\bCES?T\b")


@pytest.fixture(scope="module")
def zones(server):
    return server.seed("zones")


def fits(page, width: int) -> None:
    """Nothing is wider than the window (a phone scrolls down, never sideways)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= max(width, 390)


def speak(page, language: str) -> None:
    """Choose the agent's language with the menu (kept with the agent, as people expect)."""
    page.locator("#language").select_option(language)
    page.wait_for_selector(f"html[lang={language}]")


@pytest.fixture
def agent_language_back(new_page, server):
    """The language menu stores the agent's choice: give the other tests their English back."""
    yield
    page = new_page()
    sign_in(page, AGENT, server.seeded["password"])
    speak(page, "en")


def duplicate_ids(page) -> list[str]:
    return page.evaluate(
        """() => { const seen = {}; document.querySelectorAll('[id]').forEach(e =>
              seen[e.id] = (seen[e.id] || 0) + 1);
              return Object.keys(seen).filter(k => seen[k] > 1); }"""
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_polish_customer_reads_his_organizations_zone_and_hours(new_page, server, zones, width):
    password = server.seeded["password"]
    page = new_page(locale="pl-PL", timezone_id="Europe/Lisbon", width=width)
    sign_in(page, PIOTR, password)
    page.goto(f"/cases/{zones['cases']['pl']}/")
    promise = page.locator(".promise").first.inner_text()
    # Warsaw's time, named, since his browser says he is in Lisbon.
    assert ZONE_ABBREVIATION.search(promise), promise
    fits(page, width)
    screenshot(page, f"zones-portal-case-pl-{width}")

    page.goto("/plan/")
    hours = page.locator("#business-hours").inner_text()
    assert "Europe/Warsaw" in hours and "Europe/Lisbon" not in hours
    fits(page, width)
    # His own column (administrator) is on screen, not scrolled away.
    mine = page.locator("table.matrix thead th.mine").bounding_box()
    assert mine is not None and mine["x"] >= 0 and mine["x"] + mine["width"] <= width
    screenshot(page, f"zones-plan-pl-{width}")

    # In Warsaw, Warsaw's times need no name.
    home = new_page(locale="pl-PL", timezone_id="Europe/Warsaw", width=width)
    sign_in(home, PIOTR, password)
    home.goto(f"/cases/{zones['cases']['pl']}/")
    assert not ZONE_ABBREVIATION.search(home.locator(".promise").first.inner_text())


@pytest.mark.parametrize("width", WIDTHS)
def test_portuguese_customer_reads_lisbon(new_page, server, zones, width):
    page = new_page(locale="pt-PT", timezone_id="Europe/Lisbon", width=width)
    sign_in(page, RITA, server.seeded["password"])
    page.goto(f"/cases/{zones['cases']['pt']}/")
    promise = page.locator(".promise").first.inner_text()
    assert "Responderemos" in promise or "responder" in promise.lower(), promise
    assert not re.search(r"\bWES?T\b|Europe/", promise), promise
    page.goto("/plan/")
    assert "Europe/Lisbon" in page.locator("#business-hours").inner_text()
    fits(page, width)
    screenshot(page, f"zones-plan-pt-{width}")


@pytest.mark.parametrize(
    ("language", "width", "left"),
    [
        ("pl", 1280, "termin"),
        ("pl", 390, "termin"),
        ("pt", 1280, "prazo"),
        ("pt", 390, "prazo"),
    ],
)
def test_agent_case_page_says_working_time_left_and_fits_a_phone(
    new_page, server, zones, agent_language_back, language, width, left
):
    page = new_page(locale=f"{language}-PL" if language == "pl" else "pt-PT",
                    timezone_id="Europe/Warsaw", width=width)  # fmt: skip
    sign_in(page, AGENT, server.seeded["password"])
    speak(page, language)
    page.goto(f"/desk/cases/{zones['cases'][language]}/")
    # "8 working hours left · due Tue 12:00", in the page's language: never "1 d 0 h left".
    clock = page.locator(".clock .left").first.inner_text()
    assert left in clock and "·" in clock and " d " not in clock, clock
    assert duplicate_ids(page) == []
    fits(page, width)
    assert page.locator("link[rel=icon]").count() == 1
    screenshot(page, f"zones-desk-case-{language}-{width}")


@pytest.mark.parametrize(("language", "width"), [("pl", 1280), ("pt", 390)])
def test_statements_explain_a_missing_contract_and_close_only_past_months(
    new_page, server, zones, agent_language_back, language, width
):
    page = new_page(locale="pl-PL" if language == "pl" else "pt-PT", width=width)
    sign_in(page, AGENT, server.seeded["password"])
    speak(page, language)
    response = page.goto("/desk/organizations/bez-umowy/statement/")
    assert response.status == 200
    expect(page.locator("#no-contract")).to_be_visible()
    fits(page, width)
    screenshot(page, f"statement-no-contract-{language}-{width}")

    page.goto("/desk/organizations/cliente-b/statement/")
    assert page.locator("form[action$='/close'] button").count() == 0
    today = datetime.now(ZoneInfo("Europe/Lisbon")).date()
    last = f"{today.year - (today.month == 1)}-{(today.month - 2) % 12 + 1:02d}"
    page.goto(f"/desk/organizations/cliente-b/statement/?month={last}")
    assert page.locator("form[action$='/close'] button").count() == 1
    fits(page, width)


def test_favicon(new_page, server):
    page = new_page()
    response = page.goto("/favicon.ico")
    assert response.status == 200
    assert "svg" in response.headers["content-type"]
