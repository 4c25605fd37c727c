"""The request API: what a caller may submit, and submitting as multipart."""

import json

import pytest
import time_machine
from django.test import Client

from supportdesk.accounts.models import User
from supportdesk.accounts.services import issue_token
from supportdesk.service_requests.models import ServiceRequest
from supportdesk.tickets.choices import Channel
from supportdesk.tickets.models import Case
from tests.service_requests.conftest import HTML, png_bytes, porting_values, upload


def client(user: User) -> Client:
    return Client(headers={"authorization": f"Bearer {issue_token(user, 'tests')}"})


def post(user: User, type_: str = "number-porting", values=None, **files):
    body = {"type": type_, "fields": json.dumps(porting_values() if values is None else values)}
    files = files if files else {"bill": upload("bill.png", png_bytes(), "image/png")}
    return client(user).post("/api/requests", {**body, **files})


def test_the_owner_lists_what_they_may_submit_with_the_forms(world, offer):
    response = client(offer.owner.user).get("/api/request-types", HTTP_ACCEPT_LANGUAGE="pl")

    assert response.status_code == 200
    types = {t["slug"]: t for t in response.json()}
    assert set(types) == {"number-porting", "new-user"}
    porting = types["number-porting"]
    assert porting["who"] == "owner"
    assert porting["targets"] == {"confirmation": [5, 7], "completion": [7, 10]}
    bill = next(f for f in porting["fields"] if f["key"] == "bill")
    assert bill["types"] == ["application/pdf", "image/png"] and bill["max_mb"] == 1
    assert bill["required"] is True and bill["type"] == "file"


def test_a_member_lists_nothing_an_administrator_only_what_admins_may(world, offer):
    assert client(world.member.user).get("/api/request-types").json() == []
    listed = client(world.admin.user).get("/api/request-types").json()
    assert [t["slug"] for t in listed] == ["new-user"]


@time_machine.travel("2026-03-09T10:00:00Z", tick=False)
def test_submitting_answers_201_with_the_promised_local_dates(world, offer):
    response = post(offer.owner.user)

    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert body == {
        "id": case.pk,
        "reference": case.label,
        "promised": {
            "confirmation": {"from": "2026-03-16", "to": "2026-03-18"},
            "completion": {"from": "2026-03-18", "to": "2026-03-23"},
        },
    }
    assert response["Location"] == f"/api/cases/{case.pk}"
    assert case.channel == Channel.API
    assert ServiceRequest.objects.get(pk=case.pk).values["loa"]["ip"] == "127.0.0.1"


def test_a_role_the_type_does_not_allow_is_403_with_a_clear_message(world, offer):
    response = post(world.admin.user)

    assert response.status_code == 403
    assert response.json() == {
        "code": "not_allowed",
        "detail": "Only the owner of Cliente B, Lda.'s account can submit Number porting requests.",
        "field": None,
    }
    assert post(world.agent).status_code == 403
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("values", "files", "field", "detail"),
    [
        (porting_values(numbers=["+351 21"]), None, "numbers", "Numbers: +351 21 is not a valid"),
        (None, {"bill": upload("bill.pdf", HTML)}, "bill", "Last month's bill: bill.pdf is not"),
        (porting_values(loa={"name": "Olívia"}), None, "loa", "Letter of agency: tick the box"),
    ],
)
def test_a_bad_value_or_file_is_422_naming_the_field(world, offer, values, files, field, detail):
    response = post(offer.owner.user, values=values, **(files or {}))

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["field"] == field
    assert body["detail"].startswith(detail)
    assert body["errors"][0]["field"] == field
    assert not Case.objects.exists()


def test_fields_that_are_not_a_json_object_and_unknown_types(world, offer):
    response = client(offer.owner.user).post(
        "/api/requests", {"type": "number-porting", "fields": "[1]"}
    )
    assert response.status_code == 422 and response.json()["field"] == "fields"

    response = post(offer.owner.user, type_="no-such-type")
    assert response.status_code == 404 and response.json()["field"] == "type"


def test_the_operations_are_in_the_openapi_document(db):
    document = Client().get("/api/openapi.json").json()

    submit = document["paths"]["/api/requests"]["post"]
    assert {"201", "401", "403", "404", "422"} <= set(submit["responses"])
    form = submit["requestBody"]["content"]
    assert "multipart/form-data" in form or "application/x-www-form-urlencoded" in form
    assert "200" in document["paths"]["/api/request-types"]["get"]["responses"]
