"""Anonymous readers of the status page share one answer kept in memory for a few seconds;
a status change is visible at once; a signed-in reader gets their own view, handed back from
memory only while their session and everything that decides what they see are unchanged."""

import gzip
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from supportdesk.status import services
from supportdesk.status.choices import ComponentStatus, Impact, IncidentStatus
from tests.factories import World
from tests.status.conftest import Status


@pytest.fixture(autouse=True)
def _kept(settings):
    settings.STATUS_PUBLIC_CACHE_SECONDS = 5


def test_a_second_visitor_costs_no_query_and_gets_no_cookie(
    status: Status, django_assert_num_queries
):
    first = Client().get("/status/")
    assert first.status_code == 200
    assert "public" in first["Cache-Control"]
    assert not first.cookies, "a page for everyone must not hand out a cookie"
    assert "csrfmiddlewaretoken" not in first.content.decode()
    with django_assert_num_queries(0):
        second = Client().get("/status/")
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]


def test_the_kept_answer_honours_the_etag(status: Status):
    etag = Client().get("/status/api/v2/summary.json")["ETag"]
    again = Client().get("/status/api/v2/summary.json", headers={"if-none-match": etag})
    assert again.status_code == 304


def test_a_new_incident_shows_at_once(
    world: World, status: Status, django_capture_on_commit_callbacks
):
    before = Client().get("/status/api/v2/summary.json").json()
    assert before["incidents"] == []
    with django_capture_on_commit_callbacks(execute=True):
        services.open_incident(
            name="Trunk down",
            impact=Impact.MAJOR,
            status=IncidentStatus.INVESTIGATING,
            body="Calls fail.",
            components={"sip-trunk-lisboa": ComponentStatus.MAJOR_OUTAGE},
            author=world.agent,
        )
    after = Client().get("/status/api/v2/summary.json").json()
    assert [i["name"] for i in after["incidents"]] == ["Trunk down"]
    assert after["status"]["indicator"] == "critical"


def test_signed_in_readers_never_get_the_shared_answer(world: World, status: Status):
    anonymous = Client().get("/status/").content.decode()
    assert "PBX Cliente B" not in anonymous
    customer = Client()
    customer.force_login(world.admin.user)
    own = customer.get("/status/")
    assert "PBX Cliente B" in own.content.decode()
    assert "private" in own["Cache-Control"]
    assert "PBX Cliente B" not in Client().get("/status/").content.decode()


def test_language_links_choose_the_language_without_a_cookie(status: Status):
    page = Client().get("/status/?lang=pt")
    assert "Tronco SIP Lisboa" in page.content.decode()
    assert not page.cookies
    assert "SIP trunk Lisbon" in Client().get("/status/?lang=en").content.decode()


def _reader(world: World) -> Client:
    """Cliente B's admin's browser once it has the page's CSRF cookie, as a browser would."""
    browser = Client()
    browser.force_login(world.admin.user)
    browser.get("/status/")
    return browser


def _same_browser(browser: Client) -> Client:
    """Another client sending exactly the cookies ``browser`` sends now (a copied session)."""
    copy = Client()
    copy.cookies = SimpleCookie(browser.cookies.output(header="", sep=";"))
    return copy


def test_a_signed_in_readers_view_is_drawn_once_then_costs_two_reads(
    world: World, status: Status, django_assert_num_queries
):
    browser = _reader(world)
    drawn = browser.get("/status/")
    assert "PBX Cliente B" in drawn.content.decode()
    with django_assert_num_queries(2):  # the session, the revision
        kept = browser.get("/status/")
    assert kept.content == drawn.content
    assert kept["ETag"] == drawn["ETag"]
    assert "private" in kept["Cache-Control"]
    assert browser.get("/status/", headers={"if-none-match": drawn["ETag"]}).status_code == 304


def test_signing_out_ends_the_kept_view_for_a_copied_session(world: World, status: Status):
    browser = _reader(world)
    browser.get("/status/")
    copy = _same_browser(browser)
    assert "PBX Cliente B" in copy.get("/status/").content.decode()
    browser.logout()
    assert "PBX Cliente B" not in copy.get("/status/").content.decode()


def test_a_password_changed_elsewhere_ends_the_kept_view(
    world: World, status: Status, django_capture_on_commit_callbacks
):
    browser = _reader(world)
    assert "PBX Cliente B" in browser.get("/status/").content.decode()
    user = world.admin.user
    with django_capture_on_commit_callbacks(execute=True):
        user.set_password("a new one, set on another device")
        user.save()
    assert "PBX Cliente B" not in browser.get("/status/").content.decode()


def test_a_deactivated_reader_gets_the_kept_view_no_more(
    world: World, status: Status, django_capture_on_commit_callbacks
):
    browser = _reader(world)
    assert "PBX Cliente B" in browser.get("/status/").content.decode()
    user = world.admin.user
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save()
    assert "PBX Cliente B" not in browser.get("/status/").content.decode()


def test_a_status_change_draws_the_kept_view_again(world: World, status: Status):
    browser = _reader(world)
    before = browser.get("/status/")
    services.set_component_status(status.pbx, ComponentStatus.MAJOR_OUTAGE, actor=world.agent)
    after = browser.get("/status/")
    assert after["ETag"] != before["ETag"]
    assert "Major outage" in after.content.decode()
    assert "Major outage" not in before.content.decode()


def test_an_expired_session_gets_the_kept_view_no_more(world: World, status: Status):
    browser = _reader(world)
    assert "PBX Cliente B" in browser.get("/status/").content.decode()
    ended = timezone.now() - timedelta(seconds=1)
    Session.objects.filter(session_key=browser.cookies["sessionid"].value).update(expire_date=ended)
    assert "PBX Cliente B" not in browser.get("/status/").content.decode()


def test_kept_answers_go_out_compressed_to_browsers_that_accept_it(world: World, status: Status):
    browser = _reader(world)
    plain = browser.get("/status/")
    packed = browser.get("/status/", headers={"accept-encoding": "gzip, br"})
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    page = gzip.decompress(packed.content)
    assert "PBX Cliente B" in page.decode()
    assert len(page) == len(plain.content)  # the same page (its forms' masked token aside)
    assert len(packed.content) < len(plain.content) / 5
    again = browser.get("/status/", headers={"accept-encoding": "gzip, br"})
    assert again.content == packed.content
