"""TwilioSms (the real twilio.rest.Client on a fake transport), TwilioSignature, sms_twiml."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient

from crisis_pager.adapters.twilio_sms import TwilioSms
from crisis_pager.adapters.twilio_webhook import TwilioSignature, sms_twiml
from crisis_pager.domain.errors import SmsError
from local.fake_twilio import FakeTwilioHttpClient, signed_inbound_sms

ACCOUNT_SID = "AC" + "5e" * 16
AUTH_TOKEN = "b3f1c0ffee-auth-token"
FROM = "+15035550199"
SERVICE = "MG" + "7a" * 16
TO = "+15035550101"
BODY = "West IOP: HIGH crisis. Reply 1 417 to accept, then call +15035550100."
SID = re.compile(r"^SM[0-9a-f]{32}$")
WEBHOOK_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/prod/twilio/sms"


def credentials(**overrides: str) -> dict[str, str]:
    return {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": FROM,
            **overrides}


# ------------------------------------------------------------------ outbound SMS


def test_send_with_a_from_number() -> None:
    fake = FakeTwilioHttpClient(credentials=(ACCOUNT_SID, AUTH_TOKEN))
    sid = TwilioSms(credentials(messaging_service_sid=""), http_client=fake).send(TO, BODY)
    (message,) = fake.messages
    assert SID.match(sid) and sid == message.sid
    assert (message.account_sid, message.to, message.from_, message.body) == (
        ACCOUNT_SID, TO, FROM, BODY)
    assert message.messaging_service_sid is None


def test_send_with_a_messaging_service_takes_precedence_over_the_number() -> None:
    fake = FakeTwilioHttpClient(credentials=(ACCOUNT_SID, AUTH_TOKEN))
    sms = TwilioSms(credentials(messaging_service_sid=SERVICE), http_client=fake)
    sid = sms.send(TO, BODY)
    (message,) = fake.messages
    assert sid == message.sid
    assert (message.messaging_service_sid, message.from_) == (SERVICE, None)

    fake.clear()
    TwilioSms(credentials(from_number="", messaging_service_sid=SERVICE),
              http_client=fake).send(TO, BODY)
    assert (fake.messages[0].messaging_service_sid, fake.messages[0].from_) == (SERVICE, None)


def test_a_twilio_400_becomes_sms_error_with_twilios_code() -> None:
    fake = FakeTwilioHttpClient()
    sms = TwilioSms(credentials(), http_client=fake)
    fake.fail_next(400, 21211, "The 'To' number +1503555 is not a valid phone number.")
    with pytest.raises(SmsError) as exc:
        sms.send("+1503555", BODY)
    assert exc.value.code == 21211
    assert "is not a valid phone number" in str(exc.value)
    assert fake.messages == []
    assert SID.match(sms.send(TO, BODY))  # the next send goes through


def test_wrong_credentials_become_sms_error_20003() -> None:
    fake = FakeTwilioHttpClient(credentials=(ACCOUNT_SID, "the-real-token"))
    with pytest.raises(SmsError) as exc:
        TwilioSms(credentials(), http_client=fake).send(TO, BODY)
    assert exc.value.code == 20003
    assert fake.messages == []


@pytest.mark.parametrize("overrides", [
    {"from_number": ""},
    {"from_number": "", "messaging_service_sid": ""},
])
def test_credentials_without_a_sender_raise_value_error(overrides: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="from_number or messaging_service_sid"):
        TwilioSms(credentials(**overrides), http_client=FakeTwilioHttpClient())


def test_credentials_without_a_sender_key_raise_value_error() -> None:
    creds = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
    with pytest.raises(ValueError, match="from_number or messaging_service_sid"):
        TwilioSms(creds, http_client=FakeTwilioHttpClient())


class _NetworkDown(HTTPAdapter):
    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        raise requests.exceptions.ConnectionError(f"connect to {request.url} refused")


def test_a_network_failure_becomes_sms_error() -> None:
    transport = TwilioHttpClient()
    assert transport.session is not None
    transport.session.mount("https://", _NetworkDown())
    with pytest.raises(SmsError):
        TwilioSms(credentials(), http_client=transport).send(TO, BODY)


# ------------------------------------------------------------------ inbound signature


def _inbound(url: str = WEBHOOK_URL, token: str = AUTH_TOKEN,
             body: str = "1 417") -> tuple[dict[str, str], dict[str, str]]:
    headers, form = signed_inbound_sms(url, token, from_=TO, to=FROM, body=body)
    return headers, dict(parse_qsl(form, keep_blank_values=True))


def test_a_request_signed_like_twilio_validates() -> None:
    headers, params = _inbound()
    assert TwilioSignature(AUTH_TOKEN).valid(WEBHOOK_URL, params, headers["X-Twilio-Signature"])


def test_a_signed_url_with_a_query_string_validates() -> None:
    url = WEBHOOK_URL + "?program=west-iop"
    headers, params = _inbound(url=url)
    assert TwilioSignature(AUTH_TOKEN).valid(url, params, headers["X-Twilio-Signature"])
    assert not TwilioSignature(AUTH_TOKEN).valid(WEBHOOK_URL, params,
                                                 headers["X-Twilio-Signature"])


@pytest.mark.parametrize("tamper", ["body", "from", "extra_field", "dropped_blank_field",
                                    "url_path", "url_host", "token"])
def test_an_altered_request_fails(tamper: str) -> None:
    headers, params = _inbound()
    url, token = WEBHOOK_URL, AUTH_TOKEN
    if tamper == "body":
        params["Body"] = "1 418"
    elif tamper == "from":
        params["From"] = "+15035550102"
    elif tamper == "extra_field":
        params["Forged"] = "1"
    elif tamper == "dropped_blank_field":
        del params["ToState"]
    elif tamper == "url_path":
        url = WEBHOOK_URL.replace("/prod/", "/dev/")
    elif tamper == "url_host":
        url = WEBHOOK_URL.replace("abc123", "evil99")
    else:
        token = "another-auth-token"
    assert TwilioSignature(token).valid(url, params, headers["X-Twilio-Signature"]) is False


@pytest.mark.parametrize("signature", [None, ""])
def test_a_missing_signature_fails(signature: str | None) -> None:
    _, params = _inbound()
    assert TwilioSignature(AUTH_TOKEN).valid(WEBHOOK_URL, params, signature) is False


def test_a_signature_made_with_another_token_fails() -> None:
    headers, params = _inbound(token="someone-elses-token")
    assert TwilioSignature(AUTH_TOKEN).valid(WEBHOOK_URL, params,
                                             headers["X-Twilio-Signature"]) is False


# ------------------------------------------------------------------ TwiML


def test_sms_twiml_escapes_xml_special_characters() -> None:
    answer = 'Accepted <417> by Ana & Ben: "call" \'now\' </Message><Redirect>x</Redirect>'
    xml = sms_twiml(answer)
    assert "<Redirect>" not in xml and "<417>" not in xml and "& " not in xml
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    assert [child.tag for child in root] == ["Message"]
    assert root[0].text == answer


@pytest.mark.parametrize("answer", [None, ""])
def test_sms_twiml_without_an_answer_is_an_empty_response(answer: str | None) -> None:
    root = ET.fromstring(sms_twiml(answer))
    assert root.tag == "Response" and list(root) == []
