"""One case number style: every case gets its provider's prefix and the next number of its
sequence, whatever the channel; imported references keep theirs and new numbers continue after
them; concurrent cases never share a number."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from django.urls import reverse

from supportdesk.accounts.models import Brand
from supportdesk.channels.chat import services as chat
from supportdesk.channels.email.intake import receive
from supportdesk.channels.email.models import Mailbox
from supportdesk.tickets import numbering, services
from supportdesk.tickets.models import Case, CaseSequence
from supportdesk.world.history import replay
from supportdesk.world.loader import load_text
from supportdesk.world.source import SourceError
from tests.api.conftest import Api
from tests.channels.email.conftest import build

RECEIVED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _webplug(world) -> Brand:
    brand = Brand.objects.create(slug="webplug", name="WebPlug")
    world.org.brand = brand
    world.org.save()
    return brand


def _number(reference: str) -> int:
    return int(reference.rsplit("-", 1)[1])


@pytest.mark.django_db
def test_every_channel_gives_the_providers_prefix_and_the_next_number(world, client):
    _webplug(world)
    Mailbox.objects.create(address="support@webplug.example", is_default=True)

    client.force_login(world.member.user)
    client.post(reverse("new_case"), {"subject": "Web", "description": "!", "priority": "P3"})
    response = Api(world.agent).post(
        "/cases", {"subject": "API", "body": "!", "requester": "bruno@cliente-b.pt"}
    )
    assert response.status_code == 201 and response.json()["reference"] == "WP-2"
    receive(build(sender="ana@cliente-b.pt", subject="Email"))
    conversation = chat.start(user=world.admin.user)
    chat.customer_says(conversation, "Preciso de ajuda")
    chat.request_person(conversation)
    services.open_case(subject="Phone", body="!", channel="phone", sender="+351912345678")

    by_channel = dict(Case.objects.values_list("channel", "reference"))
    assert by_channel == {
        "web": "WP-1",
        "api": "WP-2",
        "email": "WP-3",
        "chat": "WP-4",
        "phone": "WP-5",
    }
    assert Case.objects.get(channel="chat").label == "WP-4"


@pytest.mark.django_db
def test_each_provider_counts_its_own_and_a_desk_without_brands_its_prefix(world, settings):
    _webplug(world)
    other = Brand.objects.create(slug="meetwave", name="MeetWave")
    world.other_org.brand = other
    world.other_org.save()
    settings.CASE_PREFIX = "HELP"
    references = [
        services.open_case(subject="x", body="!", channel="web", contact=contact).reference
        for contact in (world.admin, world.outsider, world.member, world.outsider)
    ]
    stranger = services.open_case(subject="x", body="!", channel="email", sender="x@y.example")
    assert references == ["WP-1", "MW-1", "WP-2", "MW-2"]
    assert stranger.reference == "HELP-1"


@pytest.mark.django_db
def test_a_prefix_taken_by_another_provider_is_not_shared(world):
    _webplug(world)
    twin = Brand.objects.create(slug="wireplus", name="WirePlus")
    world.other_org.brand = twin
    world.other_org.save()
    first = services.open_case(subject="x", body="!", channel="web", contact=world.admin)
    second = services.open_case(subject="x", body="!", channel="web", contact=world.outsider)
    assert (first.reference, second.reference) == ("WP-1", "WP2-1")


@pytest.mark.django_db
def test_imported_references_keep_theirs_and_new_numbers_continue_after_them(world):
    _webplug(world)
    before = services.open_case(subject="x", body="!", channel="web", contact=world.admin)
    history = [
        {"at": (RECEIVED + timedelta(minutes=n)).isoformat(), "case": ref, "event": "received",
         "org": "cliente-b", "channel": "email", "from": "ana@cliente-b.pt", "subject": ref}
        for n, ref in enumerate(["WP-1001", "WP-1007", "OLD-5"])
    ]  # fmt: skip
    replay(enumerate(history, start=1), now=RECEIVED + timedelta(days=1))
    after = services.open_case(subject="x", body="!", channel="web", contact=world.admin)
    assert before.reference == "WP-1"
    assert set(Case.objects.values_list("reference", flat=True)) >= {"WP-1001", "WP-1007", "OLD-5"}
    assert after.reference == "WP-1008"


@pytest.mark.django_db
def test_a_sequence_made_after_an_import_starts_past_it(world):
    _webplug(world)
    services.open_case(
        subject="x", body="!", channel="email", sender="ana@cliente-b.pt", reference="WP-1001"
    )
    assert not CaseSequence.objects.exists()
    new = services.open_case(subject="x", body="!", channel="web", contact=world.admin)
    assert new.reference == "WP-1002"


@pytest.mark.django_db
def test_legacy_cases_keep_their_number_as_label(world):
    case = services.open_case(subject="x", body="!", channel="web", contact=world.admin)
    Case.objects.filter(pk=case.pk).update(reference=None)
    case.refresh_from_db()
    assert case.label == f"#{case.pk}"


@pytest.mark.django_db
def test_the_world_file_sets_a_providers_prefix_and_refuses_a_bad_one(world):
    _webplug(world)
    services.open_case(subject="x", body="!", channel="web", contact=world.admin)
    load_text("brands:\n  webplug: {name: WebPlug, prefix: PLUG}\n")
    case = services.open_case(subject="x", body="!", channel="web", contact=world.admin)
    assert case.reference == "PLUG-1"
    assert Case.objects.filter(reference="WP-1").exists()  # numbered before keep theirs
    with pytest.raises(SourceError, match="not a case prefix"):
        load_text("brands:\n  webplug: {name: WebPlug, prefix: wp-1}\n")


@pytest.mark.django_db(transaction=True)
def test_concurrent_cases_get_distinct_numbers(world, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrency are PostgreSQL's; this runs in its pass")
    _webplug(world)
    taken = numbering.next_reference

    def slow(brand_id):  # hold the number a moment, so the other thread's case overlaps
        reference = taken(brand_id)
        time.sleep(0.02)
        return reference

    monkeypatch.setattr(numbering, "next_reference", slow)
    barrier, errors = threading.Barrier(2), []

    def open_cases(contact) -> None:
        try:
            barrier.wait()
            for _ in range(10):
                services.open_case(subject="x", body="!", channel="web", contact=contact)
        except Exception as exc:  # reported below, with the numbers
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=open_cases, args=(c,)) for c in (world.admin, world.member)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    references = list(Case.objects.values_list("reference", flat=True))
    assert errors == []
    assert sorted(map(_number, references)) == list(range(1, 21))
    assert CaseSequence.objects.get().last == 20
