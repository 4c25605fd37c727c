"""A technician's day list on a phone (390 px wide): the visits in time order, each with its
address and what it is for, nothing wider than the screen; arriving is one tap."""

import pytest

from tests.e2e.conftest import screenshot, sign_in

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect


@pytest.fixture(scope="module")
def day(server) -> dict:
    return server.seed("field")


def test_technicians_day_list_on_a_phone(new_page, server, day):
    phone = new_page(locale="en-GB", timezone_id="Europe/Warsaw", width=390)
    sign_in(phone, day["technician"], server.seeded["password"])
    phone.goto(f"/desk/field/day/?date={day['day']}")
    visits = phone.locator("ol.visits > li.visit")
    expect(visits).to_have_count(3)
    expect(visits.nth(0).locator(".when")).to_contain_text("09:00")
    expect(visits.nth(0).locator(".purpose")).to_have_text("Laptop does not start")
    expect(visits.nth(0).locator(".address")).to_contain_text("Avenida da Liberdade 245")
    expect(visits.nth(1).locator(".purpose")).to_have_text("No network in the meeting room")
    expect(visits.nth(2).locator(".address")).to_contain_text("Rua Augusta 100")
    # Nothing sideways: the page, the long address and the buttons fit the phone's width.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    box = visits.nth(0).locator(".address").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    screenshot(phone, "field-day-390")

    visits.nth(0).get_by_role("button", name="Arrived on site").click()
    expect(visits.nth(0)).to_have_class("visit on-site")
    expect(visits.nth(0).get_by_label("Report")).to_be_visible()
