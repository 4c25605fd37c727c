"""The issue's proof, in a real browser against a real server.

A customer opens a case and is told when the answer is due; the agent finds it at the top of
the queue (by keyboard), replies; the customer sees the reply and the first-response clock met;
another organization's customer gets a 404; Polish and Portuguese pages are translated.
Screenshots of the queue, case page and portal, in English and Polish, go to var/screenshots/.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import screenshot, sign_in

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

ANA = "ana@cliente-b.pt"
OLGA = "olga@outra.pt"
AGENT = "joao@webplug.example"


def open_case(page, subject: str) -> int:
    page.get_by_role("link", name="New case", exact=True).click()
    # Each priority carries the plan's own definition beside it.
    assert "around the clock" in page.locator("#id_priority_0_definition").inner_text()
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Description").fill("Nothing prints since this morning; the queue is stuck.")
    page.get_by_label("P1 (critical)").check()
    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "printer.log", "mimeType": "text/plain", "buffer": b"E42 jam\n"}]
    )
    page.get_by_role("button", name="Open case").click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    return int(page.url.rstrip("/").rsplit("/", 1)[-1])


def test_customer_and_agent_round_trip(new_page, server):
    password = server.seeded["password"]

    # A customer signs in, opens a case, and is told when the answer is due.
    customer = new_page(timezone_id="Europe/Lisbon")
    customer.goto("/login/")
    customer.get_by_label("Email").fill(ANA)
    customer.get_by_label("Password").fill(password)
    customer.get_by_role("button", name="Sign in").click()
    customer.wait_for_url("**/cases/")
    pk = open_case(customer, "Printer queue stuck")
    promise = customer.locator(".promise.due").first
    assert promise.inner_text().startswith("We will answer by")
    due = datetime.fromisoformat(promise.locator("time").get_attribute("datetime"))
    lisbon = due.astimezone(ZoneInfo("Europe/Lisbon")).strftime("%H:%M")
    assert lisbon in promise.inner_text()  # in the customer's time zone
    assert customer.get_by_role("link", name="printer.log").is_visible()
    screenshot(customer, "portal-case-en")

    # The agent sees it at the top of the queue, opens it with the keyboard, and replies.
    agent = new_page(timezone_id="Europe/Warsaw")
    sign_in(agent, AGENT, password)
    agent.wait_for_url("**/desk/")
    first = agent.locator("#queue tbody tr").first
    assert "Printer queue stuck" in first.inner_text()
    assert re.search(r"\d+ m left", first.inner_text())
    screenshot(agent, "queue-en")
    agent.keyboard.press("j")
    assert "selected" in first.get_attribute("class")
    agent.keyboard.press("Enter")
    agent.wait_for_url(f"**/desk/cases/{pk}/")
    clock = agent.locator(".clock").first
    warsaw = due.astimezone(ZoneInfo("Europe/Warsaw")).strftime("%H:%M")
    assert warsaw in clock.inner_text()  # due instant in the agent's zone...
    assert "Rule: First response, within 30 minutes, around the clock, P1" in clock.inner_text()
    assert "Covered by Priority 24/7" in agent.locator("main").inner_text()
    agent.get_by_label("Internal note").check()
    agent.get_by_label("Message").fill("Their printer is an old model; check the driver first.")
    agent.get_by_role("button", name="Send").click()
    agent.get_by_label("Public reply to the customer").check()
    agent.get_by_label("Message").fill("We are on it: please restart the print spooler.")
    agent.get_by_role("button", name="Send").click()
    agent.wait_for_load_state()
    assert agent.locator(".msg.note").count() == 1
    met = agent.locator(".clock").first.locator(".left").inner_text()
    assert re.fullmatch(r"met (29|30) m before its target", met), met
    screenshot(agent, "case-en")

    # The customer sees the reply (not the note) and the first-response clock met.
    customer.reload()
    page_text = customer.locator("main").inner_text()
    assert "We are on it: please restart the print spooler." in page_text
    assert "old model" not in page_text
    assert (
        customer.locator(".promise.met")
        .first.inner_text()
        .startswith("First response: answered on time")
    )
    screenshot(customer, "portal-answered-en")


def test_queue_filters_live_in_the_url_and_refresh_without_reload(new_page, server):
    agent = new_page(timezone_id="Europe/Warsaw")
    sign_in(agent, AGENT, server.seeded["password"])
    agent.evaluate("window.stillTheSamePage = true")
    # Counts arrive a moment after the page (htmx), then the filter applies in place.
    agent.wait_for_selector("#f-uncovered + label:has-text('(')")
    agent.locator("#f-priority").select_option("P4")
    agent.wait_for_url("**/desk/?*priority=P4*")
    rows = agent.locator("#queue tbody tr")
    assert rows.count() == 1 and "How do I add a shared mailbox?" in rows.first.inner_text()
    assert agent.evaluate("window.stillTheSamePage") is True  # no reload
    expect(agent.locator("#queue-total")).to_have_text("1 open case")  # counts, by htmx
    # The URL is the filter: opening it fresh shows the same rows.
    fresh = new_page()
    sign_in(fresh, AGENT, server.seeded["password"])
    fresh.goto(agent.url)
    assert fresh.locator("#queue tbody tr").count() == 1
    assert fresh.locator("#f-priority").input_value() == "P4"


def test_customer_of_another_organization_gets_404(new_page, server):
    other_case = server.seeded["cases"]["Email bounces for the sales team"]
    page = new_page()
    sign_in(page, OLGA, server.seeded["password"])
    for path in (f"/cases/{other_case}/", f"/desk/cases/{other_case}/", "/desk/"):
        response = page.goto(path)
        assert response.status == 404, path
        assert page.get_by_role("heading", name="We can't find this page").is_visible()
    own = server.seeded["outsider_case"]
    assert page.goto(f"/cases/{own}/").status == 200


def test_polish_pages(new_page, server):
    password = server.seeded["password"]
    server.seed("breached")  # an overdue P1 for the screenshots' red row
    customer = new_page(locale="pl-PL")
    customer.goto("/login/")
    assert customer.locator("html").get_attribute("lang") == "pl"
    assert customer.get_by_role("heading", name="Zaloguj się").is_visible()
    sign_in(customer, ANA, password)
    assert customer.get_by_role("heading", name="Zgłoszenia naszej organizacji").is_visible()
    screenshot(customer, "portal-cases-pl")
    customer.get_by_role("link", name=re.compile("Email bounces")).click()
    assert "Pierwsza odpowiedź" in customer.locator(".promise").first.inner_text()
    screenshot(customer, "portal-case-pl")
    customer.get_by_role("link", name="Nasz plan").click()
    assert customer.get_by_role("heading", name="Kto może korzystać z czego").is_visible()
    screenshot(customer, "portal-plan-pl")
    response = customer.goto("/cases/999999/")
    assert response.status == 404
    assert customer.get_by_role("heading", name="Nie możemy znaleźć tej strony").is_visible()

    # An agent with an English browser switches to Polish with the language menu.
    agent = new_page(locale="en-GB", timezone_id="Europe/Warsaw")
    sign_in(agent, AGENT, password)
    agent.locator("#language").select_option("pl")
    agent.wait_for_selector("html[lang=pl]")
    assert agent.get_by_role("heading", name="Kolejka").is_visible()
    assert "temu" in agent.locator("#queue tbody tr").first.inner_text()  # breached … ago
    screenshot(agent, "queue-pl")
    agent.locator("#queue tbody tr a").first.click()
    assert agent.get_by_role("heading", name="Zegary").is_visible()
    screenshot(agent, "case-pl")
    agent.get_by_role("link", name="Panel SLA").click()
    assert agent.locator("figure.chart svg").count() == 1  # pygal, rendered by the server
    screenshot(agent, "sla-dashboard-pl")


def test_portuguese_pages(new_page, server):
    page = new_page(locale="pt-PT")
    page.goto("/login/")
    assert page.locator("html").get_attribute("lang") == "pt"
    assert page.get_by_role("heading", name="Iniciar sessão").is_visible()
    sign_in(page, ANA, server.seeded["password"])
    assert page.get_by_role("heading", name="Pedidos da nossa organização").is_visible()
    page.get_by_role("link", name="Novo pedido", exact=True).click()
    assert page.get_by_text("Prioridade", exact=True).first.is_visible()
    page.get_by_role("link", name="O nosso plano").click()
    assert page.get_by_role("heading", name="Quem pode usar o quê").is_visible()


def test_phone_width_keyboard_and_labels(new_page, server):
    page = new_page(width=390)
    sign_in(page, ANA, server.seeded["password"])
    page.get_by_role("link", name="New case", exact=True).click()
    # Every form control has a label a screen reader announces.
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
              .map(e => e.name || e.id)"""
    )
    assert unlabelled == []
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Tab reaches the skip link first, and focus is visible.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    screenshot(page, "portal-new-case-phone-en")
