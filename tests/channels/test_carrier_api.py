"""The carrier's REST API as the desk calls it, against the local fake carrier: a real HTTP
server that checks the account's credentials as the carrier does."""

import pytest

from supportdesk.channels import carrier_api

AGENT = "+351911000001"
DESK = "+351210000100"


def test_an_outbound_call_is_placed_with_its_twiml_url_and_status_callback(fake_carrier):
    sid = carrier_api.place_call(
        to=AGENT,
        sender=DESK,
        url="https://desk.example/channels/voice/outbound?callback=7",
        status_callback="https://desk.example/channels/voice/status",
    )
    assert sid.startswith("CA")
    [call] = fake_carrier.calls
    assert (call["To"], call["From"]) == (AGENT, DESK)
    assert call["Url"] == "https://desk.example/channels/voice/outbound?callback=7"
    assert call["StatusCallback"] == "https://desk.example/channels/voice/status"


def test_a_call_may_carry_its_twiml_instead_of_a_url(fake_carrier):
    carrier_api.place_call(to=AGENT, sender=DESK, twiml="<Response><Say>Olá</Say></Response>")
    assert fake_carrier.calls[0]["Twiml"] == "<Response><Say>Olá</Say></Response>"
    with pytest.raises(ValueError):
        carrier_api.place_call(to=AGENT, sender=DESK)


def test_a_refusal_or_wrong_credentials_are_a_carrier_error_saying_why(fake_carrier, settings):
    fake_carrier.refuse(code=21215, message="Geo Permission configuration is not permitting call")
    with pytest.raises(carrier_api.CarrierError, match=r"400 21215: .*Geo Permission"):
        carrier_api.place_call(to=AGENT, sender=DESK, url="https://desk.example/x")
    fake_carrier.accept()
    settings.TWILIO_AUTH_TOKEN = "not-the-token"
    with pytest.raises(carrier_api.CarrierError, match="401 20003"):
        carrier_api.send_message(to=AGENT, sender=DESK, body="Olá")
    assert fake_carrier.posted == []


def test_no_carrier_at_all_is_told_apart_from_a_refusal(settings):
    settings.TWILIO_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(carrier_api.CarrierUnreachable):
        carrier_api.send_message(to=AGENT, sender=DESK, body="Olá")
