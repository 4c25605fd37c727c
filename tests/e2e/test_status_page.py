"""The status page in a real browser: every visitor sees the public components and the active
incident on them; a customer of Cliente B also sees their own PBX degraded with the latest
update; a customer of another organization sees neither."""

import pytest

from tests.e2e.conftest import screenshot, sign_in

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

PBX_UPDATE = "A failed power supply; the spare is fitted."


@pytest.fixture(scope="module")
def incidents(server) -> dict:
    return server.seed("status")


def test_public_page_shows_components_and_the_active_incident(new_page, incidents):
    visitor = new_page(locale="pt-PT")
    visitor.goto("/status/")
    trunk = visitor.locator("#component-sip-trunk-lisboa")
    expect(trunk).to_contain_text("Tronco SIP Lisboa")  # in the visitor's language
    expect(trunk.locator(".status-label")).to_have_class("status-label s-partial_outage")
    expect(trunk.locator(".status-days li")).to_have_count(90)
    notice = visitor.locator(f"#incident-{incidents['trunk_incident']}")
    expect(notice).to_contain_text("A carrier route drops one call in ten.")
    expect(visitor.locator("#component-pbx-cliente-b")).to_have_count(0)
    expect(visitor.locator("main")).not_to_contain_text(PBX_UPDATE)
    screenshot(visitor, "status-public-pt")


def test_customer_sees_their_organizations_component_and_no_one_else_does(
    new_page, server, incidents
):
    password = server.seeded["password"]
    ana = new_page()
    sign_in(ana, "ana@cliente-b.pt", password)
    ana.goto("/status/")
    pbx = ana.locator("#component-pbx-cliente-b")
    expect(pbx).to_contain_text("PBX Cliente B")
    expect(pbx.locator(".status-label")).to_have_class("status-label s-degraded_performance")
    notice = ana.locator(f"#incident-{incidents['pbx_incident']}")
    expect(notice).to_contain_text("PBX slow to connect calls")
    expect(notice.locator("li").first).to_contain_text(PBX_UPDATE)  # the latest update first
    expect(ana.locator("#component-sip-trunk-lisboa")).to_be_visible()
    screenshot(ana, "status-customer-en")

    olga = new_page()
    sign_in(olga, "olga@outra.pt", password)
    olga.goto("/status/")
    expect(olga.locator("#component-sip-trunk-lisboa")).to_be_visible()
    expect(olga.locator("#component-pbx-cliente-b")).to_have_count(0)
    expect(olga.locator(f"#incident-{incidents['pbx_incident']}")).to_have_count(0)
    expect(olga.locator("main")).not_to_contain_text(PBX_UPDATE)
