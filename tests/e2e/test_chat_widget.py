"""The chatbot in a real browser: a customer asks the widget and gets the article; asks for a
person and reaches an agent live (plan with live chat) or a case (plan without).

Runs against the shared e2e server (tests/e2e/conftest.py); the demo knowledge base is loaded
into its database by a process of its own, as ``supportdesk demo`` would.
"""

import subprocess
import sys

import pytest

from tests.e2e.conftest import ROOT, screenshot, sign_in

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

ANA = "ana@cliente-b.pt"  # admin: the plan gives administrators live chat
BRUNO = "bruno@cliente-b.pt"  # member: no live chat, so a case
AGENT = "joao@webplug.example"
LOAD_KB = (
    "import django; django.setup(); "
    "from supportdesk.knowledge.demo import load_demo_kb; print(load_demo_kb().summary())"
)


@pytest.fixture(scope="module")
def kb_server(server):
    done = subprocess.run(
        [sys.executable, "-c", LOAD_KB],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return server


def ask(page, text: str) -> None:
    widget = page.locator("#chat-widget")
    if widget.locator(".chat-panel").is_hidden():
        widget.get_by_role("button", name="Questions? Ask us").click()
    widget.get_by_label("Your question").fill(text)
    widget.get_by_role("button", name="Send", exact=True).click()


def test_widget_answers_and_hands_off_to_a_case(new_page, kb_server):
    page = new_page()
    sign_in(page, BRUNO, kb_server.seeded["password"])
    page.goto("/kb/")
    ask(page, "Ile trwa naprawa sprzetu?")
    log = page.locator("#chat-widget .chat-log")
    answer = log.locator(".chat-msg.bot a.answer").last
    expect(answer).to_have_text(
        "Wizyty serwisowe i naprawy TechOpieka: 24 godziny, 14 dni i komputer zastępczy"
    )
    expect(log.locator(".chat-msg.bot .body").last).to_contain_text("14 dni")
    page.locator("#chat-widget").get_by_role("button", name="Talk to a person").click()
    expect(log.locator(".chat-msg.system").last).to_contain_text("opened case")
    expect(page.locator("#chat-widget .chat-state")).to_contain_text("Passed on as a case")
    screenshot(page, "chat-widget-case-en")


def test_widget_reaches_an_agent_live(new_page, kb_server):
    password = kb_server.seeded["password"]
    customer = new_page()
    sign_in(customer, ANA, password)
    customer.goto("/kb/")
    ask(customer, "I would like to talk to a person")
    state = customer.locator("#chat-widget .chat-state")
    expect(state).to_contain_text("Waiting for an agent")

    agent = new_page(timezone_id="Europe/Warsaw")
    sign_in(agent, AGENT, password)
    agent.goto("/desk/chats/")
    row = agent.locator("tr", has_text="Ana Silva").last
    row.get_by_role("button", name="Take").click()
    agent.wait_for_url("**/desk/chats/*/")
    expect(customer.locator("#chat-widget .chat-log")).to_contain_text(
        "joined the conversation", timeout=2000
    )

    agent.get_by_label("Your message").fill("Olá Ana, sou o João. Em que posso ajudar?")
    agent.get_by_role("button", name="Send", exact=True).click()
    # No reload on either side: the message appears within 2 seconds.
    expect(customer.locator("#chat-widget .chat-msg.agent").last).to_contain_text(
        "sou o João", timeout=2000
    )
    expect(state).to_contain_text("With an agent")
    ask(customer, "A VPN não liga desde manhã.")
    expect(agent.locator(".chat-msg.customer").last).to_contain_text("A VPN não liga", timeout=2000)
    screenshot(agent, "chat-agent-en")
    screenshot(customer, "chat-widget-live-en")
