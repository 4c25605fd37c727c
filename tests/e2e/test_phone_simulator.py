"""The phone simulator in a browser: an agent calls WebPlug's priority line as Ana (a registered
contact), presses 1 for technical support and plays João answering; the call's case comes
first in the queue with its first-response clock met at the answer (the line promises an
answer within 5 minutes, around the clock). Every step went through the desk's signed carrier
webhooks."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.seed import JOAO_PHONE, PRIORITY_LINE

AGENT = "joao@webplug.example"
ANA_PHONE = "+351912345678"


def test_simulator_calls_the_priority_line_and_the_answer_meets_the_clock(new_page, server):
    agent = new_page(timezone_id="Europe/Lisbon")
    sign_in(agent, AGENT, server.seeded["password"])
    agent.get_by_role("link", name="Calls").click()
    agent.get_by_role("link", name="Phone simulator").click()

    agent.get_by_label("Call as a contact").select_option(ANA_PHONE)
    expect(agent.get_by_label("Caller's number")).to_have_value(ANA_PHONE)
    agent.get_by_label("Desk number to call").select_option(PRIORITY_LINE)
    agent.get_by_role("button", name="Call", exact=True).click()
    log = agent.locator("#phone-log")
    expect(log).to_contain_text("Bem-vindo ao suporte WebPlug.")  # Ana's number: no PIN asked
    expect(log).to_contain_text("Para Suporte técnico, prima 1.")

    agent.get_by_role("group", name="Keypad").get_by_role("button", name="1", exact=True).click()
    expect(log).to_contain_text("You pressed 1")
    answer = agent.get_by_role("button", name=f"Answer as {JOAO_PHONE}")
    answer.click()
    expect(log).to_contain_text("An agent answered")
    case_link = agent.locator("#phone-case-link")
    expect(case_link).to_be_visible()
    screenshot(agent, "phone-simulator-en")
    agent.get_by_role("button", name="Hang up").click()
    expect(agent.locator("#phone-status")).to_have_text("The call ended.")
    pk = re.search(r"/desk/cases/(\d+)/", case_link.get_attribute("href"))[1]

    # The call's case heads the queue (the priority line's clocks are the tightest)...
    agent.get_by_role("link", name="Queue").click()
    first = agent.locator("#queue tbody tr").first
    expect(first).to_have_attribute("data-case", pk)
    expect(first).to_contain_text(ANA_PHONE)  # the subject, in the caller's language
    screenshot(agent, "queue-after-call-en")

    # ... answered: the first response was met at the answer, by João, on the phone.
    first.locator("a").first.click()
    agent.wait_for_url(f"**/desk/cases/{pk}/")
    clock = agent.locator(".clock", has_text="First response").first
    expect(clock.locator(".left")).to_contain_text("met")
    expect(clock).to_contain_text("within 5 minutes")
    calls = agent.locator("section[aria-labelledby=calls]")
    expect(calls).to_contain_text("Answered")
    expect(calls).to_contain_text("João Costa")
    expect(calls).to_contain_text("WebPlug priority line")
    screenshot(agent, "case-phone-call-en")

    # Today's calls lists it, answered.
    agent.get_by_role("link", name="Calls").click()
    expect(agent.locator(".phone-today tbody tr").first).to_contain_text("Answered")
