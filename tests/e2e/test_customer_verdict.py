"""A customer answers a resolved case in their language on a desktop and a phone: "solved"
closes it, and the closed case offers a follow-up that names it. Every case number carries the
provider's prefix, whatever the channel. Screenshots go to var/screenshots/."""

import re

import pytest

from tests.e2e.conftest import screenshot, sign_in

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

PEOPLE = {
    "pl": ("ewa@cliente-b.pt", "Tak, rozwiązany", "Ciąg dalszy"),
    "pt": ("ines@cliente-b.pt", "Sim, resolvido", "Seguimento de"),
}
NUMBER = re.compile(r"\b[A-Z][A-Z0-9]*-\d+\b")


@pytest.fixture(scope="module")
def verdicts(server):
    return server.seed("verdicts")


@pytest.mark.e2e
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["pl", "pt"])
def test_solved_closes_and_a_follow_up_names_the_case(new_page, server, verdicts, language, width):
    email, solved, follow_up = PEOPLE[language]
    case = verdicts["cases"][language][0 if width == 1280 else 1]
    page = new_page(locale=language, width=width)
    sign_in(page, email, server.seeded["password"])
    page.goto(f"/cases/{case}/")
    number = NUMBER.search(page.locator("h1").inner_text())
    assert number is not None, "the case number carries the provider's prefix"
    page.get_by_role("button", name=solved).click()
    page.wait_for_load_state()
    expect(page.get_by_role("button", name=solved)).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= max(width, 390)
    screenshot(page, f"verdict-closed-{language}-{width}")
    page.locator(f"a[href$='follow_up={case}']").click()
    page.wait_for_load_state()
    subject = page.locator("#id_subject").input_value()
    assert subject.startswith(follow_up) and number.group(0) in subject
