"""local.fake_twilio under the real twilio.rest.Client."""

from __future__ import annotations

import re
import threading
from urllib.parse import parse_qsl

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from local.fake_twilio import FakeTwilioHttpClient, PlacedCall, SentMessage, signed_inbound_sms

ACCOUNT_SID = "AC" + "a1" * 16
AUTH_TOKEN = "test-auth-token"
FROM = "+15005550006"
TO = "+15551230001"
SID = re.compile(r"^SM[0-9a-f]{32}$")


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> FakeTwilioHttpClient:
    return FakeTwilioHttpClient(clock=Clock(1_700_000_000.0))


@pytest.fixture
def client(fake: FakeTwilioHttpClient) -> Client:
    return Client(ACCOUNT_SID, AUTH_TOKEN, http_client=fake)


def test_messages_create_is_recorded_and_answered_like_twilio(
    fake: FakeTwilioHttpClient, client: Client
) -> None:
    msg = client.messages.create(
        to=TO, from_=FROM, body="Page: reply 1234 to accept",
        status_callback="https://example.test/twilio/status",
    )

    assert SID.match(msg.sid)
    assert (msg.status, msg.to, msg.from_, msg.body) == (
        "queued", TO, FROM, "Page: reply 1234 to accept")
    assert msg.account_sid == ACCOUNT_SID
    assert msg.date_created is not None and msg.date_created.timestamp() == 1_700_000_000
    [sent] = fake.messages
    assert sent == SentMessage(
        sid=msg.sid, account_sid=ACCOUNT_SID, to=TO, from_=FROM, messaging_service_sid=None,
        body="Page: reply 1234 to accept", status_callback="https://example.test/twilio/status",
        at=1_700_000_000.0, params=sent.params,
    )
    [req] = fake.requests
    assert (req.method, req.status, req.username) == ("POST", 201, ACCOUNT_SID)
    assert req.url.endswith(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")
    assert "Authorization" not in req.headers


def test_messaging_service_sender_is_recorded(fake: FakeTwilioHttpClient, client: Client) -> None:
    service = "MG" + "0" * 32
    msg = client.messages.create(to=TO, messaging_service_sid=service, body="hi")

    assert msg.messaging_service_sid == service
    [sent] = fake.messages
    assert (sent.from_, sent.messaging_service_sid) == (None, service)


def test_calls_create_is_recorded(fake: FakeTwilioHttpClient, client: Client) -> None:
    call = client.calls.create(to=TO, from_=FROM, twiml="<Response><Say>Page</Say></Response>")

    assert re.match(r"^CA[0-9a-f]{32}$", call.sid)
    assert call.status == "queued"
    assert fake.calls == [PlacedCall(
        sid=call.sid, account_sid=ACCOUNT_SID, to=TO, from_=FROM,
        twiml="<Response><Say>Page</Say></Response>", url=None, status_callback=None,
        at=1_700_000_000.0, params=fake.calls[0].params,
    )]
    assert fake.messages == []


def test_fail_next_surfaces_twilio_rest_exception(
    fake: FakeTwilioHttpClient, client: Client
) -> None:
    fake.fail_next(429, 20429, "Too Many Requests", times=2)

    for _ in range(2):
        with pytest.raises(TwilioRestException) as exc:
            client.messages.create(to=TO, from_=FROM, body="x")
        assert (exc.value.status, exc.value.code) == (429, 20429)
        assert "Too Many Requests" in exc.value.msg
    msg = client.messages.create(to=TO, from_=FROM, body="x")

    assert [m.sid for m in fake.messages] == [msg.sid]
    assert [r.status for r in fake.requests] == [429, 429, 201]


def test_missing_to_is_rejected_like_twilio(client: Client) -> None:
    with pytest.raises(TwilioRestException) as exc:
        client.messages.create(to="", from_=FROM, body="x")
    assert (exc.value.status, exc.value.code) == (400, 21604)


def test_wrong_credentials_are_rejected_when_configured() -> None:
    fake = FakeTwilioHttpClient(credentials=(ACCOUNT_SID, AUTH_TOKEN))
    with pytest.raises(TwilioRestException) as exc:
        Client(ACCOUNT_SID, "wrong", http_client=fake).messages.create(to=TO, from_=FROM, body="x")
    assert (exc.value.status, exc.value.code) == (401, 20003)
    Client(ACCOUNT_SID, AUTH_TOKEN, http_client=fake).messages.create(to=TO, from_=FROM, body="x")
    assert len(fake.messages) == 1


def test_clear_forgets_records_and_pending_failures(
    fake: FakeTwilioHttpClient, client: Client
) -> None:
    client.messages.create(to=TO, from_=FROM, body="x")
    fake.fail_next(500, 20500, "Internal Server Error")
    fake.clear()

    client.messages.create(to=TO, from_=FROM, body="y")

    assert [m.body for m in fake.messages] == ["y"]


def test_wait_for_returns_once_another_thread_sends(
    fake: FakeTwilioHttpClient, client: Client
) -> None:
    sender = threading.Timer(0.05, lambda: client.messages.create(to=TO, from_=FROM, body="z"))
    sender.start()
    try:
        sent = fake.wait_for(lambda f: next((m for m in f.messages if m.to == TO), None),
                             timeout=5)
    finally:
        sender.join()
    assert sent is not None and sent.body == "z"
    with pytest.raises(TimeoutError, match="1 message"):
        fake.wait_for(lambda f: len(f.messages) >= 2, timeout=0.05)


def test_signed_inbound_sms_validates_like_twilio() -> None:
    url = "https://pager.example.test/twilio/sms"

    headers, body = signed_inbound_sms(url, AUTH_TOKEN, from_=TO, to=FROM, body="1234 yes",
                                       message_sid="SM" + "b" * 32)

    params = dict(parse_qsl(body, keep_blank_values=True))
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert (params["From"], params["To"], params["Body"]) == (TO, FROM, "1234 yes")
    assert params["MessageSid"] == params["SmsSid"] == "SM" + "b" * 32
    assert params["NumMedia"] == "0" and params["AccountSid"].startswith("AC")
    validator = RequestValidator(AUTH_TOKEN)
    assert validator.validate(url, params, headers["X-Twilio-Signature"])

    tampered = dict(params, Body="1234 no")
    assert not validator.validate(url, tampered, headers["X-Twilio-Signature"])
    assert not validator.validate(url + "?x=1", params, headers["X-Twilio-Signature"])
    assert not RequestValidator("other-token").validate(url, params, headers["X-Twilio-Signature"])
