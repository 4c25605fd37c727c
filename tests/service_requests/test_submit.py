"""Submitting a request: a case in the queue with its values, files, signed letter, checklist
and milestone clocks; refused, with nothing stored, for someone the type does not allow."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from supportdesk.plans.choices import Metric
from supportdesk.service_requests import display, services
from supportdesk.service_requests.choices import RequestErrorCode
from supportdesk.tickets.choices import Channel, Status
from supportdesk.tickets.errors import CaseError
from supportdesk.tickets.models import Attachment, Case
from tests.service_requests.conftest import PDF, png_bytes, porting_values, upload

LISBON = ZoneInfo("Europe/Lisbon")
#: A Monday in March 2026: no Portuguese holiday for three weeks.
MONDAY = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)


def submit(offer, contact, request_type=None, values=None, files=None, at=MONDAY):
    return services.submit_request(
        request_type or offer.porting,
        contact=contact,
        values=porting_values() if values is None else values,
        files={"bill": upload("bill.png", png_bytes(), "image/png")} if files is None else files,
        channel=Channel.WEB,
        actor=contact.user,
        address="203.0.113.7",
        at=at,
    )


def test_the_owner_submits_porting_and_agents_get_a_case_with_its_promises(world, offer):
    request = submit(offer, offer.owner)

    case = request.case
    assert case.channel == Channel.WEB and case.status == Status.NEW
    assert case.contact == offer.owner and case.subject == "Number porting"
    assert Case.objects.open().visible_to(world.agent).filter(pk=case.pk).exists()
    assert request.values["numbers"] == ["+351210000100", "+351210000101"]
    assert request.values["emergency_address"]["city"] == "Lisboa"
    bill = Attachment.objects.get(pk=request.values["bill"]["attachment"])
    assert (bill.case, bill.name, bill.content_type) == (case, "bill.png", "image/png")
    assert bill.file.read() == png_bytes()
    signature = request.values["loa"]
    assert signature["name"] == "Olívia Dono" and signature["consent"] is True
    assert signature["signed_at"] == "2026-03-09T10:00:00+00:00"
    assert signature["ip"] == "203.0.113.7"
    letter = Attachment.objects.get(pk=signature["attachment"])
    assert letter.content_type == "application/pdf" and letter.file.read().startswith(b"%PDF")
    assert [i["item"]["en"] for i in request.checklist] == ["Bill checked", "LOA sent"]
    assert all(i["done_at"] is None for i in request.checklist)
    # 5-7 and 7-10 business days after Monday 9 March, on Lisbon's calendar.
    assert request.promised["confirmation"]["from"] == "2026-03-16"
    assert request.promised["confirmation"]["to"] == "2026-03-18"
    assert request.promised["completion"]["from"] == "2026-03-18"
    assert request.promised["completion"]["to"] == "2026-03-23"
    clocks = {c.metric: c for c in case.clocks.all()}
    assert clocks[Metric.CONFIRMATION].due_at == datetime(2026, 3, 18, 18, 0, tzinfo=LISBON)
    assert clocks[Metric.COMPLETION].due_at == datetime(2026, 3, 23, 18, 0, tzinfo=LISBON)
    assert clocks[Metric.COMPLETION].business_days == 10
    assert clocks[Metric.COMPLETION].guaranteed  # the case is under the plan


def test_the_customer_reads_the_range_as_dates_between():
    assert display.date_range(date(2026, 3, 14), date(2026, 3, 18)) == "between 14 and 18 March"
    assert display.date_range(date(2026, 3, 30), date(2026, 4, 2)) == (
        "between 30 March and 2 April"
    )
    assert display.date_range(date(2026, 3, 18), date(2026, 3, 18)) == "on 18 March"
    assert display.date_range(date(2026, 12, 30), date(2027, 1, 4)) == (
        "between 30 Dec 2026 and 4 Jan 2027"
    )


@pytest.mark.parametrize(
    ("language", "text"),
    [("pl", "między 14 a 18 marca"), ("pt", "entre 14 e 18 de março")],
)
def test_the_range_reads_in_polish_and_portuguese(language, text):
    with translation.override(language):
        assert display.date_range(date(2026, 3, 14), date(2026, 3, 18)) == text


@pytest.mark.parametrize("who", ["admin", "member"])
def test_anyone_but_the_owner_is_refused_porting_and_nothing_is_stored(world, offer, who):
    contact = getattr(world, who)

    with pytest.raises(services.RequestError) as refused:
        submit(offer, contact)

    assert refused.value.code == RequestErrorCode.NOT_ALLOWED
    assert refused.value.message == (
        "Only the owner of Cliente B, Lda.'s account can submit Number porting requests."
    )
    assert not Case.objects.exists() and not Attachment.objects.exists()


def test_a_member_is_refused_a_type_for_administrators(world, offer):
    with pytest.raises(services.RequestError) as refused:
        submit(offer, world.member, offer.new_user, values={})

    assert refused.value.message == (
        "Only your organization's administrators can submit New user requests."
    )


def test_only_the_owner_signs_even_where_an_administrator_may_submit(world, offer):
    values = {
        "full_name": "Rui",
        "extension": 101,
        "licence": "calling",
        "signature": {"name": "Ana Silva", "consent": True},
    }

    with pytest.raises(services.RequestError) as refused:
        submit(offer, world.admin, offer.new_user, values=values, files={})

    assert refused.value.code == RequestErrorCode.NOT_ALLOWED
    assert refused.value.field == "signature"
    assert (
        refused.value.message == "Only the owner of Cliente B, Lda.'s account can sign Signature."
    )
    assert not Case.objects.exists()
    del values["signature"]
    assert submit(offer, world.admin, offer.new_user, values=values, files={}).case.pk


def test_a_bad_file_is_refused_before_anything_is_stored(offer):
    with pytest.raises(services.RequestError) as refused:
        submit(offer, offer.owner, files={"bill": upload("bill.pdf", b"<html>hi</html>")})

    assert refused.value.code == RequestErrorCode.INVALID and refused.value.field == "bill"
    assert not Case.objects.exists() and not Attachment.objects.exists()


def test_agents_tick_the_checklist_with_who_and_when_and_meet_milestones(world, offer):
    request = submit(offer, offer.owner, files={"bill": upload("bill.pdf", PDF)})
    later = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)

    request = services.tick(request, 1, done=True, actor=world.agent, at=later)

    assert request.checklist[1]["done_at"] == "2026-03-10T09:30:00+00:00"
    assert request.checklist[1]["done_by"] == "João Costa"
    assert request.checklist[0]["done_at"] is None
    request = services.tick(request, 1, done=False, actor=world.agent, at=later)
    assert request.checklist[1]["done_at"] is None
    with pytest.raises(CaseError):
        services.tick(request, 0, done=True, actor=offer.owner.user, at=later)
    with pytest.raises(CaseError):
        services.tick(request, 7, done=True, actor=world.agent, at=later)

    assert services.meet_milestone(request, Metric.CONFIRMATION, actor=world.agent, at=later)
    clock = request.case.clocks.get(metric=Metric.CONFIRMATION)
    assert clock.met_at == later and clock.breached_at is None


def test_a_type_lists_only_for_those_it_allows(world, offer):
    assert [t.slug for t in services.submittable(offer.owner)] == ["new-user", "number-porting"]
    assert [t.slug for t in services.submittable(world.admin)] == ["new-user"]
    assert services.submittable(world.member) == []
