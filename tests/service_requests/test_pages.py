"""The portal's request pages and the request on the agent's case page."""

import time_machine
from django.test import Client

from supportdesk.accounts.models import User
from supportdesk.service_requests.models import ServiceRequest
from tests.service_requests.conftest import PDF, png_bytes, upload

SUBMISSION = {
    "numbers": "+351210000100\n+351 21 000 0101",
    "emergency_address__street": "Rua Augusta 1",
    "emergency_address__postcode": "1100-048",
    "emergency_address__city": "Lisboa",
    "emergency_address__country": "pt",
    "loa__name": "Olívia Dono",
    "loa__consent": "on",
}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@time_machine.travel("2026-03-09T10:00:00Z", tick=False)
def test_the_owner_submits_from_the_portal_and_sees_the_promised_dates(world, offer):
    owner = signed_in(offer.owner.user)

    listing = owner.get("/requests/").content.decode()
    assert "/requests/new/number-porting/" in listing and "/requests/new/new-user/" in listing
    form = owner.get("/requests/new/number-porting/").content.decode()
    assert "We confirm your request by email between 16 and 18 March." in form
    assert "Your request will be done between 18 and 23 March." in form
    assert "authorise" in form  # the letter of agency's text, above the signature

    bill = upload("bill.png", png_bytes(), "image/png")
    response = owner.post("/requests/new/number-porting/", {**SUBMISSION, "bill": bill})

    request = ServiceRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/requests/{request.pk}/"
    page = owner.get(response["Location"]).content.decode()
    assert "between 16 and 18 March" in page and "between 18 and 23 March" in page
    assert "+351210000101" in page and "Rua Augusta 1, 1100-048, Lisboa, PT" in page
    assert f'href="/attachments/{request.values["bill"]["attachment"]}/" download' in page
    conversation = owner.get(f"/cases/{request.pk}/").content.decode()
    assert f'href="/requests/{request.pk}/"' in conversation
    assert "We will confirm your request by" in conversation
    assert "Your request will be done by" in conversation


def test_a_form_with_problems_says_which_field_and_stores_nothing(world, offer):
    owner = signed_in(offer.owner.user)
    bill = upload("bill.pdf", b"<svg><script>alert(1)</script></svg>", "application/pdf")

    response = owner.post(
        "/requests/new/number-porting/", {**SUBMISSION, "loa__consent": "", "bill": bill}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Last month&#x27;s bill: bill.pdf is not PDF or PNG" in page
    assert "Letter of agency: tick the box to agree to the letter of agency" in page
    assert not ServiceRequest.objects.exists()


def test_an_administrator_is_told_only_the_owner_may(world, offer):
    response = signed_in(world.admin.user).get("/requests/new/number-porting/")

    assert response.status_code == 403
    assert (
        "Only the owner of Cliente B, Lda.&#x27;s account can submit" in response.content.decode()
    )
    assert "number-porting" not in signed_in(world.admin.user).get("/requests/").content.decode()


@time_machine.travel("2026-03-09T10:00:00Z", tick=False)
def test_the_agent_sees_fields_files_checklist_and_due_dates_and_ticks(world, offer):
    signed_in(offer.owner.user).post(
        "/requests/new/number-porting/", {**SUBMISSION, "bill": upload("bill.pdf", PDF)}
    )
    request = ServiceRequest.objects.get()
    agent = signed_in(world.agent)

    page = agent.get(f"/desk/cases/{request.pk}/").content.decode()

    assert "Request: Number porting" in page
    assert "+351210000100" in page and "signed by Olívia Dono" in page
    assert "from 127.0.0.1" in page
    assert f'href="/attachments/{request.values["loa"]["attachment"]}/" download' in page
    assert "between 16 and 18 March" in page and "between 18 and 23 March" in page
    assert 'aria-checked="false">☐ Bill checked' in page
    response = agent.post(f"/desk/requests/{request.pk}/checklist/0", {"done": "1"})
    assert response.status_code == 302
    page = agent.get(f"/desk/cases/{request.pk}/").content.decode()
    assert 'aria-checked="true">☑ Bill checked' in page and "João Costa" in page


def test_files_are_served_as_downloads_never_inline(world, offer):
    owner = signed_in(offer.owner.user)
    owner.post("/requests/new/number-porting/", {**SUBMISSION, "bill": upload("b.pdf", PDF)})
    request = ServiceRequest.objects.get()

    for key in ("bill", "loa"):
        response = owner.get(f"/attachments/{request.values[key]['attachment']}/")
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
    outsider = signed_in(world.outsider.user)
    assert outsider.get(f"/requests/{request.pk}/").status_code == 404
    assert outsider.get(f"/attachments/{request.values['bill']['attachment']}/").status_code == 404
    assert signed_in(world.member.user).get(f"/requests/{request.pk}/").status_code == 404
    assert owner.post(f"/desk/requests/{request.pk}/checklist/0", {"done": "1"}).status_code == 404
