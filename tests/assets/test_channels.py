"""A serial number in a customer's mail, and in an imported history, names the case's device."""

import pytest

from supportdesk.channels.email.intake import receive
from supportdesk.channels.email.models import Mailbox
from supportdesk.tickets.choices import Coverage
from supportdesk.tickets.models import Case
from supportdesk.world.history import HistoryError, import_history
from tests.channels.email.conftest import build

pytestmark = pytest.mark.django_db

SUPPORT = "pomoc@techopieka.example"


@pytest.fixture
def mailbox(techopieka) -> Mailbox:
    return Mailbox.objects.create(address=SUPPORT, name="TechOpieka", is_default=True)


def mail(sender: str, subject: str, body: str = "Proszę o pomoc.") -> Case:
    return Case.objects.get(
        pk=receive(build(sender=sender, to=SUPPORT, subject=subject, body=body)).case
    )


def test_a_serial_in_the_subject_names_the_device(techopieka, mailbox):
    case = mail("zofia@kancelaria-nowak.pl", "Drukarka sn-7702 nie drukuje")
    assert case.asset == techopieka.printer
    assert (case.covered, case.coverage_code, case.coverage_param) == (
        False,
        Coverage.DEVICE_NOT_COVERED,
        "SN-7702",
    )


def test_a_serial_in_the_body_names_the_device_the_first_one_mentioned(techopieka, mailbox):
    body = "Laptop (nr seryjny SN-4410) się przegrzewa.\nDrukarka SN-7702 działa."
    case = mail("zofia@kancelaria-nowak.pl", "Przegrzewa się", body)
    assert case.asset == techopieka.laptop and case.covered


def test_only_the_senders_own_devices_are_recognised(techopieka, mailbox):
    foreign = mail("zofia@kancelaria-nowak.pl", "Problem z SN-0001 i SN-9999")
    assert foreign.asset is None and foreign.covered
    stranger = mail("someone@example.org", "Drukarka SN-7702")
    assert stranger.asset is None


HISTORY = (
    '{"at": "2026-03-02T09:00:00+00:00", "case": "TO-7", "event": "received", '
    '"channel": "phone", "from": "zofia@kancelaria-nowak.pl", "asset": "%s"}\n'
)


def test_history_import_names_the_device_of_a_received_case(techopieka):
    import_history([HISTORY % "sn-7702"])
    case = Case.objects.get(reference="TO-7")
    assert case.asset == techopieka.printer and not case.covered


def test_history_import_refuses_a_device_of_another_organization(techopieka):
    with pytest.raises(HistoryError) as refused:
        import_history([HISTORY % "SN-0001"])
    assert refused.value.line == 1 and "SN-0001" in refused.value.message
    assert not Case.objects.exists()
