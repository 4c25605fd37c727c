"""Remote help in a real browser: the agent asks for consent from the case page, the customer
consents from the portal's case page, the agent starts the session (after the password step)
and ends it. Screenshots go to var/screenshots/."""

import pytest

from tests.e2e.conftest import screenshot, sign_in

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

ANA = "ana@cliente-b.pt"
AGENT = "joao@webplug.example"


def test_agent_asks_customer_consents_in_the_portal_agent_starts(new_page, server):
    password = server.seeded["password"]
    pk = server.seeded["cases"]["Email bounces for the sales team"]

    agent = new_page(timezone_id="Europe/Warsaw")
    sign_in(agent, AGENT, password)
    agent.goto(f"/desk/cases/{pk}/")
    remote = agent.locator("#remote")
    remote.get_by_role("button", name="Ask for consent").click()
    expect(agent.get_by_text("the customer has 15 minutes")).to_be_visible()
    expect(agent.locator("#remote .consent.waiting")).to_be_visible()

    customer = new_page()
    sign_in(customer, ANA, password)
    customer.goto(f"/cases/{pk}/")
    notice = customer.locator(".remote-consent")
    expect(notice).to_contain_text("João Costa asks to connect to your computer.")
    notice.get_by_role("link", name="Review and consent").click()
    expect(customer.get_by_role("heading", name="Consent to remote help")).to_be_visible()
    expect(customer.get_by_text("you type it yourself")).to_be_visible()
    screenshot(customer, "remote-consent-en")
    customer.get_by_role("button", name="I consent to this remote session").click()
    customer.wait_for_url(f"**/cases/{pk}/")
    expect(customer.get_by_text("the agent may now connect to your computer")).to_be_visible()
    expect(customer.locator(".remote-consent")).to_have_count(0)

    agent.reload()
    expect(agent.locator("#remote .consent.given")).to_contain_text("given by Ana Silva")
    agent.get_by_label("Tool").select_option("anydesk")
    agent.get_by_label("Session id").fill("123 456 789")
    agent.get_by_role("button", name="Start session").click()
    expect(agent.get_by_text("types their password themselves before you start")).to_be_visible()
    agent.get_by_label("Tool").select_option("anydesk")
    agent.get_by_label("Session id").fill("123 456 789")
    agent.get_by_label("The user types their password themselves").check()
    agent.get_by_role("button", name="Start session").click()
    expect(agent.locator(".remote-running")).to_contain_text("AnyDesk 123 456 789")
    expect(agent.locator("ol.events")).to_contain_text(
        "Remote session started: AnyDesk 123 456 789"
    )
    screenshot(agent, "remote-session-running-en")

    agent.get_by_label("What was done").fill("Re-created the Outlook profile.")
    agent.get_by_role("button", name="End session").click()
    expect(agent.locator("ol.events")).to_contain_text("Remote session ended: AnyDesk")
    expect(agent.locator(".remote-sessions")).to_contain_text("Re-created the Outlook profile.")
