"""The API documentation works on a machine without internet: every asset comes from the desk
itself, and the page renders its operations under the desk's Content-Security-Policy, as the
desk's own pages do (their few inline scripts and styles carry the page's nonce)."""

from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in

LOCAL = {"127.0.0.1", "localhost"}


def test_api_docs_render_with_no_request_leaving_the_host(new_page):
    page = new_page()
    outside: list[str] = []
    refused: list[str] = []

    def only_local(route):
        if urlsplit(route.request.url).hostname in LOCAL or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    response = page.goto("/api/docs")
    assert "'self'" in response.headers["content-security-policy"]  # names are lower-cased

    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() >= 10
    expect(page.locator(".opblock-summary-path", has_text="/api/cases").first).to_be_visible()
    expect(page.locator(".info .title")).to_contain_text("Supportdesk API")

    page.locator(".opblock-summary", has_text="/api/cases").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    screenshot(page, "api-docs")
    assert outside == [], outside
    assert refused == [], refused


def test_the_desks_pages_run_under_the_policy_without_a_refusal(new_page, server):
    refused: list[str] = []

    def watch(page):
        page.on(
            "console",
            lambda m: refused.append(f"{page.url}: {m.text}") if "Security" in m.text else None,
        )
        page.on("pageerror", lambda error: refused.append(str(error)))
        return page

    agent = watch(new_page())
    sign_in(agent, "joao@webplug.example", server.seeded["password"])
    for path in ("/desk/", "/desk/sla/", "/desk/chats/", "/desk/kb/"):
        agent.goto(path)
        agent.wait_for_load_state("networkidle")
    agent.goto("/desk/")
    agent.locator("#queue tbody tr[data-case] a").first.click()
    agent.wait_for_load_state("networkidle")
    # The breach chart's own style sheet is let in by the page's nonce.
    agent.goto("/desk/sla/")
    expect(agent.locator(".chart svg")).to_be_visible()

    customer = watch(new_page(locale="pl-PL"))
    sign_in(customer, "ana@cliente-b.pt", server.seeded["password"])
    for path in ("/cases/", "/kb/"):
        customer.goto(path)
        customer.wait_for_load_state("networkidle")
    customer.locator("#chat-widget .chat-toggle").click()
    expect(customer.locator("#chat-panel")).to_be_visible()
    assert refused == [], refused
