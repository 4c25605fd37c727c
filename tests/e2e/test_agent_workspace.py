"""What agents expect from every help desk, in a real browser at desktop and phone widths:
search the cases from the queue, select the ones found and assign them in one step, and put a
canned reply into the reply box with its variables filled in. Screenshots go to
var/screenshots/.
"""

import pytest

from tests.e2e.conftest import screenshot, sign_in

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

AGENT = "joao@webplug.example"


@pytest.fixture(scope="module")
def seeded(server):
    return server.seed("workspace")


def fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= max(width, 390)


@pytest.mark.parametrize("width", [1280, 390])
def test_search_bulk_assign_and_canned_reply(new_page, server, seeded, width):
    page = new_page(width=width)
    sign_in(page, AGENT, server.seeded["password"])
    page.goto("/desk/")
    page.locator("#f-q").fill("quokka")
    page.locator("#f-q").press("Enter")
    rows = page.locator("#queue tbody tr[data-case]")
    expect(rows).to_have_count(2)
    expect(page.locator("#queue")).not_to_contain_text("wombat")
    fits(page, width)
    screenshot(page, f"workspace-search-{width}")

    # Select both cases found and assign them to Marta, in one step.
    for box in page.locator("#queue tbody input[name=case]").all():
        box.check()
    page.locator("#b-assignee").select_option(str(seeded["marta"]))
    page.locator("#bulk button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("2 cases updated.")
    expect(page.locator("#f-q")).to_have_value("quokka")  # back under the same search
    for row in page.locator("#queue tbody tr[data-case]").all():
        expect(row).to_contain_text("Marta Sousa")
    fits(page, width)
    screenshot(page, f"workspace-bulk-{width}")

    # The canned reply goes into the reply box where the cursor is, with the status to set.
    case = seeded["cases"][0 if width == 1280 else 1]
    page.goto(f"/desk/cases/{case}/")
    body = page.locator("#id_body")
    body.fill("Thanks. ")
    body.press("End")
    page.locator("form.macro-picker button[type=submit]").click()
    expect(body).to_have_value(
        __import__("re").compile(r"^Thanks\. Hello Bruno Reis, about \S+: open the rear flap\.$")
    )
    expect(page.locator("#id_reply_status")).to_have_value("waiting")
    assert page.url.endswith(f"/desk/cases/{case}/")  # inserted in place, no reload
    fits(page, width)
    screenshot(page, f"workspace-macro-{width}")
    page.locator("form.composer button[type=submit]").click()
    expect(page.locator(".case-head .status")).to_contain_text("Waiting on customer")
