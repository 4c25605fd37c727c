"""Request types are editable in the admin, under the same rules as the world file."""

import json

from django.test import Client

from supportdesk.accounts.models import User
from supportdesk.service_requests.models import RequestType

FORM = {
    "slug": "number-porting",
    "names": json.dumps({"en": "Number porting", "pl": "Przeniesienie numerów"}),
    "descriptions": "{}",
    "who": "owner",
    "checklist": json.dumps([{"en": "Bill checked"}]),
    "targets": json.dumps({"completion": [7, 10]}),
    "brand": "",
    "active": "on",
    "position": "0",
}


def test_a_definition_that_cannot_be_used_is_refused_saying_where(db):
    admin = Client()
    admin.force_login(User.objects.create_superuser("root@desk.example", "x"))
    bad = [{"key": "bill", "type": "file", "types": ["application/pdf", "image/svg+xml"]}]

    response = admin.post(
        "/admin/service_requests/requesttype/add/", {**FORM, "fields": json.dumps(bad)}
    )

    assert response.status_code == 200
    assert "0.types.1: image/svg+xml is not a type the desk can recognise" in (
        response.content.decode()
    )
    assert not RequestType.objects.exists()
    good = [{"key": "bill", "type": "file", "types": ["application/pdf"], "max_mb": 5}]
    response = admin.post(
        "/admin/service_requests/requesttype/add/", {**FORM, "fields": json.dumps(good)}
    )
    assert response.status_code == 302
    saved = RequestType.objects.get()
    assert saved.fields[0]["max_mb"] == 5 and saved.milestones() == {"completion": (7, 10)}
