"""Number porting in a real browser: the owner submits it with a PNG bill and signs the letter
of agency; the agent sees the request on the case page with its checklist and due dates.
Screenshots of the form, the request page and the agent's case page go to var/screenshots/."""

import re
import struct
import zlib

import pytest

from tests.e2e.conftest import screenshot, sign_in

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

AGENT = "joao@webplug.example"


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def test_the_owner_requests_porting_and_the_agent_works_it(new_page, server):
    owner_email = server.seed("requests")["owner"]
    password = server.seeded["password"]

    owner = new_page(timezone_id="Europe/Lisbon")
    sign_in(owner, owner_email, password)
    owner.get_by_role("link", name="Requests", exact=True).click()
    owner.get_by_role("link", name="Number porting").click()
    expect(owner.locator(".promises")).to_contain_text("We confirm your request by email between")
    expect(owner.locator(".promises")).to_contain_text("Your request will be done between")
    owner.get_by_label("Numbers").fill("+351 21 000 0100\n+351210000101")
    owner.get_by_label("Last month's bill").set_input_files(
        files=[{"name": "bill.png", "mimeType": "image/png", "buffer": png()}]
    )
    owner.get_by_label("Street and number").fill("Rua Augusta 1")
    owner.get_by_label("Postcode").fill("1100-048")
    owner.get_by_label("City").fill("Lisboa")
    owner.get_by_label("Country code (e.g. PL)").fill("PT")
    owner.get_by_label("Your full name").fill("Olívia Dono")
    owner.get_by_label("I agree").check()
    screenshot(owner, "request-porting-form-en")
    owner.get_by_role("button", name="Submit the request").click()
    owner.wait_for_url(re.compile(r"/requests/\d+/$"))
    pk = int(owner.url.rstrip("/").rsplit("/", 1)[-1])
    expect(owner.get_by_role("status")).to_contain_text("is submitted")
    promises = owner.locator(".promises")
    expect(promises).to_contain_text(
        re.compile(r"by email (between \d+ .*and \d+ \w+|on \d+ \w+)\.")
    )
    expect(owner.get_by_role("link", name="bill.png")).to_be_visible()
    expect(owner.get_by_text("signed by Olívia Dono")).to_be_visible()
    screenshot(owner, "request-porting-page-en")

    agent = new_page(timezone_id="Europe/Warsaw")
    sign_in(agent, AGENT, password)
    agent.goto(f"/desk/cases/{pk}/")
    panel = agent.locator("section.service-request")
    expect(panel).to_contain_text("Request: Number porting")
    expect(panel).to_contain_text("+351210000100, +351210000101")
    expect(panel.get_by_role("link", name="bill.png")).to_have_attribute("download", "")
    expect(panel).to_contain_text("Confirmation: between")
    expect(panel).to_contain_text("Completion: between")
    expect(agent.locator("#clocks").locator("..")).to_contain_text("Completion")
    item = panel.get_by_role("checkbox", name=re.compile("The bill shows the owner"))
    expect(item).to_have_attribute("aria-checked", "false")
    item.click()
    item = agent.locator("section.service-request").get_by_role(
        "checkbox", name=re.compile("The bill shows the owner")
    )
    expect(item).to_have_attribute("aria-checked", "true")
    expect(agent.locator("section.service-request")).to_contain_text("João Costa")
    screenshot(agent, "request-porting-case-en")
