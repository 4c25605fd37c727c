"""The buyer of a plan, in a real browser: the provider records them from the command line, they
open the mailed link, type the 6-digit code mailed next, choose a password, land as the
organization's owner and invite a colleague with a phone number and an extension."""

import re
import subprocess
import sys

import pytest

from tests.e2e.conftest import ROOT, mails_to, screenshot

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

BUYER = "buyer@cliente-b.pt"
COLLEAGUE = "marta@cliente-b.pt"


def _body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_the_buyer_confirms_the_code_becomes_owner_and_invites_with_an_extension(new_page, server):
    recorded = subprocess.run(
        [sys.executable, "-m", "supportdesk.cli", "invite_owner", "cliente-b", BUYER],
        cwd=ROOT,
        env={**server.env, "SITE_URL": server.url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert recorded.returncode == 0, recorded.stderr
    (invitation,) = mails_to(server, BUYER)
    link = re.search(r"https?://\S+/owner/\S+/", _body(invitation)).group(0)
    assert link.startswith(server.url)

    buyer = new_page()
    buyer.goto(link)
    expect(buyer.get_by_role("heading", level=1)).to_contain_text("Become the owner")
    code_mail = mails_to(server, BUYER)[-1]
    code = re.search(r"^\s+(\d{6})$", _body(code_mail), re.M).group(1)
    buyer.get_by_label("Code from the email").fill(code)
    buyer.get_by_role("button", name="Confirm the code").click()
    buyer.get_by_label("Your name").fill("Beatriz Costa")
    buyer.get_by_label("Password", exact=True).fill("Owner-pass-9931")
    buyer.get_by_label("Password again").fill("Owner-pass-9931")
    buyer.get_by_role("button", name="Become the owner").click()

    buyer.wait_for_url("**/invitations/")
    expect(buyer.locator(".messages")).to_contain_text("You are the owner of Cliente B")
    owner_row = buyer.locator("tr[id^=person-]", has_text="Beatriz Costa")
    expect(owner_row).to_contain_text("Owner")
    history = buyer.locator("#history-title + table")
    expect(history).to_contain_text(f"{BUYER} confirmed the code and is the owner")

    buyer.get_by_label("Email").fill(COLLEAGUE)
    buyer.get_by_label("Name", exact=True).fill("Marta Lopes")
    buyer.get_by_label("Phone number").fill("+351 912 000 777")
    buyer.get_by_label("Extension").fill("301")
    buyer.get_by_label("Language of the invitation").select_option("pt")
    buyer.get_by_role("button", name="Send the invitation").click()

    expect(buyer.locator(".messages")).to_contain_text(f"Invitation sent to {COLLEAGUE}")
    pending = buyer.locator("li[id^=invitation-]", has_text=COLLEAGUE)
    expect(pending).to_contain_text("extension 301")
    (sent,) = mails_to(server, COLLEAGUE)
    assert "convida" in str(sent["Subject"]) and "301" in _body(sent)  # in Portuguese
    screenshot(buyer, "owner-people-en")
