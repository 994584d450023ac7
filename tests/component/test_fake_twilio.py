"""local.fake_twilio under the real twilio.rest.Client."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlparse

import pytest
from requests.exceptions import ReadTimeout
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from local.fake_twilio import (
    MESSAGING_SERVICE_SENDER,
    FakeTwilioHttpClient,
    MessageStatus,
    PlacedCall,
    SentMessage,
    SimulatedCrash,
    signed_inbound_sms,
)

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


def test_crash_next_takes_the_message_then_kills_the_caller(
    fake: FakeTwilioHttpClient, client: Client
) -> None:
    fake.crash_next(path_suffix="Messages.json", method="POST")
    with pytest.raises(SimulatedCrash):
        client.messages.create(to=TO, from_=FROM, body="page")
    assert [m.body for m in fake.messages] == ["page"], "Twilio took it"
    (request,) = fake.requests
    assert request.crashed and request.status == 201 and not request.timed_out
    client.messages.create(to=TO, from_=FROM, body="again")  # only the next one
    assert [r.crashed for r in fake.requests] == [True, False]


def test_listeners_see_every_message_and_call_as_it_is_created(
    fake: FakeTwilioHttpClient, client: Client
) -> None:
    seen: list[SentMessage | PlacedCall] = []
    fake.add_listener(seen.append)
    client.messages.create(to=TO, from_=FROM, body="x")
    client.calls.create(to=TO, from_=FROM, url="https://example.test/voice")
    assert [type(r) for r in seen] == [SentMessage, PlacedCall]
    assert seen == [*fake.messages, *fake.calls]


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


# ---------------------------------------------------------------------- live mode

BASE = "https://pager.example.test"
STATUS_URL = BASE + "/twilio/status?incident=417"
NOW = 1_700_000_000.0
Answer = str | Callable[[dict[str, str]], str]


class Service:
    """Stands in for our service: records every post, answers TwiML by path."""

    def __init__(self, twiml: dict[str, Answer] | None = None,
                 status: dict[str, int] | None = None) -> None:
        self.twiml = twiml or {}
        self.status = status or {}
        self.posts: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.lock = threading.Lock()

    def __call__(self, url: str, params: dict[str, str],
                 headers: dict[str, str]) -> tuple[int, str]:
        with self.lock:
            self.posts.append((url, params, headers))
        path = urlparse(url).path
        answer = self.twiml.get(path, "")
        body = answer(params) if callable(answer) else answer
        return self.status.get(path, 200 if body else 204), body

    def to(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [p for u, p, _ in self.posts if urlparse(u).path == path]


@pytest.fixture
def service() -> Service:
    return Service()


@pytest.fixture
def live(service: Service) -> FakeTwilioHttpClient:
    return FakeTwilioHttpClient(clock=Clock(NOW), auth_token=AUTH_TOKEN, webhook=service,
                                callback_delay=0.001)


@pytest.fixture
def live_client(live: FakeTwilioHttpClient) -> Client:
    return Client(ACCOUNT_SID, AUTH_TOKEN, http_client=live)


def assert_signed_like_twilio(service: Service) -> None:
    validator = RequestValidator(AUTH_TOKEN)
    assert service.posts
    for url, params, headers in service.posts:
        assert validator.validate(url, params, headers["X-Twilio-Signature"]), (url, params)
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert headers["User-Agent"] == "TwilioProxy/1.1"
        assert headers["I-Twilio-Idempotency-Token"]
    tokens = [h["I-Twilio-Idempotency-Token"] for _, _, h in service.posts]
    assert len(set(tokens)) == len(tokens)


@pytest.mark.parametrize(("outcome", "code", "statuses"), [
    ("delivered", None, ["sent", "delivered"]),
    ("undelivered", 30006, ["sent", "undelivered"]),
    ("undelivered", 30007, ["sent", "undelivered"]),
    ("failed", 30036, ["failed"]),
])
def test_message_status_callbacks_follow_the_scripted_outcome(
    live: FakeTwilioHttpClient, live_client: Client, service: Service,
    outcome: str, code: int | None, statuses: list[str],
) -> None:
    if outcome != "delivered":
        live.sms_outcome(TO, outcome, code)  # type: ignore[arg-type]
    msg = live_client.messages.create(to=TO, from_=FROM, body="page",
                                      status_callback=STATUS_URL)
    assert msg.status == "queued"  # the answer comes before any callback

    live.drain()

    posts = service.to("/twilio/status")
    assert [p["MessageStatus"] for p in posts] == statuses
    for i, post in enumerate(posts):
        expected = {
            "MessageSid": msg.sid, "SmsSid": msg.sid, "MessageStatus": statuses[i],
            "SmsStatus": statuses[i], "To": TO, "From": FROM, "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
        }
        if code is not None and i == len(posts) - 1:
            expected["ErrorCode"] = str(code)
        assert post == expected
    assert_signed_like_twilio(service)
    assert live.message_status(msg.sid) == MessageStatus(
        sid=msg.sid, to=TO, status=statuses[-1], error_code=code,
        date_sent=None if outcome == "failed" else NOW, history=statuses)
    assert [w.kind for w in live.webhooks] == ["message-status"] * len(statuses)
    assert live.callback_errors == []


@pytest.mark.parametrize(("callbacks", "posted"), [
    ("duplicated", ["sent", "sent", "undelivered", "undelivered"]),
    ("reversed", ["undelivered", "sent"]),
])
def test_status_callbacks_can_come_twice_or_out_of_order(
    live: FakeTwilioHttpClient, live_client: Client, service: Service,
    callbacks: str, posted: list[str],
) -> None:
    live.sms_outcome(TO, "undelivered", 30007, callbacks=callbacks)  # type: ignore[arg-type]
    msg = live_client.messages.create(to=TO, from_=FROM, body="page",
                                      status_callback=STATUS_URL)
    live.drain()

    posts = service.to("/twilio/status")
    assert [p["MessageStatus"] for p in posts] == posted
    assert {p.get("ErrorCode") for p in posts if p["MessageStatus"] == "undelivered"} == {
        "30007"}
    assert_signed_like_twilio(service)  # each post its own idempotency token, as Twilio's
    status = live.message_status(msg.sid)
    assert (status.status, status.history) == ("undelivered", ["sent", "undelivered"]), (
        "the message itself went through its statuses in order")


def test_an_unknown_callback_order_is_refused(fake: FakeTwilioHttpClient) -> None:
    with pytest.raises(ValueError, match="callback order"):
        fake.sms_outcome(TO, callbacks="shuffled")  # type: ignore[arg-type]


def test_messaging_service_messages_are_sent_from_the_services_number(
    live: FakeTwilioHttpClient, live_client: Client, service: Service
) -> None:
    svc = "MG" + "0" * 32
    msg = live_client.messages.create(to=TO, messaging_service_sid=svc, body="hi",
                                      status_callback=STATUS_URL)
    assert msg.status == "accepted"
    live.drain()

    [sent, delivered] = service.to("/twilio/status")
    assert sent["From"] == delivered["From"] == MESSAGING_SERVICE_SENDER
    assert sent["MessagingServiceSid"] == svc
    assert live_client.messages(msg.sid).fetch().from_ == MESSAGING_SERVICE_SENDER


def test_one_shot_sms_outcomes_come_before_the_standing_one(
    live: FakeTwilioHttpClient, live_client: Client, service: Service
) -> None:
    live.sms_outcome(TO, "undelivered", 30003, times=1)
    first = live_client.messages.create(to=TO, from_=FROM, body="1", status_callback=STATUS_URL)
    second = live_client.messages.create(to=TO, from_=FROM, body="2",
                                         status_callback=STATUS_URL)
    live.drain()

    assert live.message_status(first.sid).status == "undelivered"
    assert live.message_status(second.sid).status == "delivered"
    fetched = live_client.messages(first.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)


def test_without_a_webhook_outcomes_apply_at_once_and_nothing_is_posted(
    fake: FakeTwilioHttpClient, client: Client
) -> None:
    fake.sms_outcome(TO, "failed", 30036)
    msg = client.messages.create(to=TO, from_=FROM, body="x", status_callback=STATUS_URL)
    call = client.calls.create(to=TO, from_=FROM, url=BASE + "/voice")

    fake.drain(timeout=0)
    assert msg.status == "queued"
    assert fake.message_status(msg.sid).status == "failed"
    assert fake.message_status(msg.sid).error_code == 30036
    assert fake.transcript(call.sid).status == "queued"
    assert fake.webhooks == [] and not fake.live


def test_a_callback_handler_may_send_again_and_drain_waits_for_it(
    live: FakeTwilioHttpClient, live_client: Client, service: Service
) -> None:
    backup = "+15551230002"
    live.sms_outcome(TO, "undelivered", 30006)

    def on_status(params: dict[str, str]) -> str:
        if params["MessageStatus"] == "undelivered":  # re-enters the fake from its worker
            live_client.messages.create(to=backup, from_=FROM, body="backup",
                                        status_callback=STATUS_URL)
        return ""

    service.twiml["/twilio/status"] = on_status
    live_client.messages.create(to=TO, from_=FROM, body="primary", status_callback=STATUS_URL)
    live.drain()

    assert [(p["To"], p["MessageStatus"]) for p in service.to("/twilio/status")] == [
        (TO, "sent"), (TO, "undelivered"), (backup, "sent"), (backup, "delivered")]


# ---------------------------------------------------------------------- calls

MENU = ('<?xml version="1.0" encoding="UTF-8"?><Response>'
        '<Gather action="/voice/choice?incident=417" numDigits="1">'
        '<Say>Crisis page for West IOP.</Say><Say>Press 1 to accept.</Say></Gather>'
        '<Say>We did not get your answer. Goodbye.</Say></Response>')
ACCEPTED = "<Response><Say>Accepted. Thank you.</Say><Hangup/><Say>never</Say></Response>"


def call_fields(sid: str, **extra: str) -> dict[str, str]:
    return {"CallSid": sid, "AccountSid": ACCOUNT_SID, "From": FROM, "To": TO, "Caller": FROM,
            "Called": TO, "CallStatus": "in-progress", "Direction": "outbound-api",
            "ApiVersion": "2010-04-01", **extra}


def test_a_human_pressing_1_posts_digits_to_the_gather_action(
    live: FakeTwilioHttpClient, live_client: Client, service: Service
) -> None:
    service.twiml.update({"/voice": MENU, "/voice/choice": ACCEPTED})
    live.call_outcome(TO, "human", keys="1")

    call = live_client.calls.create(to=TO, from_=FROM, url=BASE + "/voice?incident=417",
                                    status_callback=STATUS_URL, machine_detection="Enable")
    live.drain()

    assert service.to("/voice") == [call_fields(call.sid, AnsweredBy="human")]
    assert service.to("/voice/choice") == [call_fields(call.sid, AnsweredBy="human", Digits="1")]
    [done] = service.to("/twilio/status")
    assert (done["CallStatus"], done["AnsweredBy"]) == ("completed", "human")
    assert int(done["CallDuration"]) > 0
    assert_signed_like_twilio(service)
    t = live.transcript(call.sid)
    assert t.said == ["Crisis page for West IOP.", "Press 1 to accept.", "Accepted. Thank you."]
    assert t.keys == ["1"]
    assert t.requests == [(BASE + "/voice?incident=417", 200),
                          (BASE + "/voice/choice?incident=417", 200)]
    assert t.verbs == ["Gather", "Say", "Hangup"]
    assert (t.status, t.answered_by, t.error) == ("completed", "human", None)
    assert t.duration == int(done["CallDuration"])
    assert [w.kind for w in live.webhooks] == ["voice", "voice", "call-status"]
    listed = live_client.calls(call.sid).fetch()
    assert (listed.status, listed.answered_by) == ("completed", "human")


def test_a_machine_never_presses_keys_and_is_reported_by_amd(
    live: FakeTwilioHttpClient, live_client: Client, service: Service
) -> None:
    service.twiml.update({"/voice": MENU, "/voice/choice": ACCEPTED})
    live.call_outcome(TO, "machine")

    call = live_client.calls.create(to=TO, from_=FROM, url=BASE + "/voice",
                                    status_callback=STATUS_URL, machine_detection="Enable")
    live.drain()

    assert service.to("/voice") == [call_fields(call.sid, AnsweredBy="machine_start")]
    assert service.to("/voice/choice") == []
    assert all("Digits" not in p for _, p, _ in service.posts)
    [done] = service.to("/twilio/status")
    assert (done["CallStatus"], done["AnsweredBy"]) == ("completed", "machine_start")
    t = live.transcript(call.sid)
    assert t.said[-1] == "We did not get your answer. Goodbye."  # fell through the Gather
    assert (t.keys, t.answered_by) == ([], "machine_start")


def test_without_machine_detection_there_is_no_answered_by(
    live: FakeTwilioHttpClient, live_client: Client, service: Service
) -> None:
    service.twiml.update({"/voice": MENU, "/voice/choice": ACCEPTED})
    live.call_outcome(TO, "human", keys="1")

    call = live_client.calls.create(to=TO, from_=FROM, url=BASE + "/voice",
                                    status_callback=STATUS_URL)
    live.drain()

    assert all("AnsweredBy" not in p for _, p, _ in service.posts)
    assert live.transcript(call.sid).answered_by is None
    assert live.transcript(call.sid).keys == ["1"]


@pytest.mark.parametrize("answer", ["no-answer", "busy", "failed"])
def test_an_unanswered_call_posts_only_the_status_callback(
    live: FakeTwilioHttpClient, live_client: Client, service: Service, answer: str
) -> None:
    service.twiml["/voice"] = MENU
    if answer != "no-answer":  # unscripted numbers do not answer
        live.call_outcome(TO, answer)  # type: ignore[arg-type]

    call = live_client.calls.create(to=TO, from_=FROM, url=BASE + "/voice",
                                    status_callback=STATUS_URL, machine_detection="Enable")
    live.drain()

    [done] = service.posts
    assert done[0] == STATUS_URL
    assert (done[1]["CallStatus"], done[1]["CallDuration"]) == (answer, "0")
    assert "AnsweredBy" not in done[1]
    assert_signed_like_twilio(service)
    t = live.transcript(call.sid)
    assert (t.status, t.said, t.requests, t.duration) == (answer, [], [], 0)


def test_requested_call_progress_events_are_posted_in_order(
    live: FakeTwilioHttpClient, live_client: Client, service: Service
) -> None:
    service.twiml["/voice"] = "<Response><Say>Hello</Say></Response>"
    live.call_outcome(TO, "human")

    live_client.calls.create(
        to=TO, from_=FROM, url=BASE + "/voice", status_callback=STATUS_URL,
        status_callback_event=["initiated", "ringing", "answered", "completed"])
    live.drain()

    posts = service.to("/twilio/status")
    assert [(p["CallStatus"], p["SequenceNumber"]) for p in posts] == [
        ("initiated", "0"), ("ringing", "1"), ("in-progress", "2"), ("completed", "3")]


def test_redirect_is_followed_relative_to_the_current_url(
    live: FakeTwilioHttpClient, live_client: Client, service: Service
) -> None:
    service.twiml.update({
        "/voice/one": '<Response><Say>One</Say><Pause length="2"/>'
                      "<Redirect>two?x=1</Redirect><Say>never</Say></Response>",
        "/voice/two": "<Response><Say>Two</Say></Response>",
    })
    live.call_outcome(TO, "human")

    call = live_client.calls.create(to=TO, from_=FROM, url=BASE + "/voice/one")
    live.drain()

    t = live.transcript(call.sid)
    assert t.said == ["One", "Two"]
    assert t.requests == [(BASE + "/voice/one", 200), (BASE + "/voice/two?x=1", 200)]
    assert t.verbs == ["Say", "Pause", "Redirect", "Say"]
    assert service.to("/voice/two") == [call_fields(call.sid)]  # no status callback asked


def test_keys_9_then_1_go_round_a_redirect_loop(
    live: FakeTwilioHttpClient, live_client: Client, service: Service
) -> None:
    def choice(params: dict[str, str]) -> str:
        if params["Digits"] == "1":
            return "<Response><Say>Accepted</Say></Response>"
        return "<Response><Say>Not a choice</Say><Redirect>/menu</Redirect></Response>"

    service.twiml.update({
        "/menu": '<Response><Gather action="/menu/choice"><Say>Press 1</Say></Gather>'
                 "<Redirect>/menu</Redirect></Response>",
        "/menu/choice": choice,
    })
    live.call_outcome(TO, "human", keys="91")

    call = live_client.calls.create(to=TO, from_=FROM, url=BASE + "/menu")
    live.drain()

    t = live.transcript(call.sid)
    assert t.said == ["Press 1", "Not a choice", "Press 1", "Accepted"]
    assert t.keys == ["9", "1"]
    assert [p["Digits"] for p in service.to("/menu/choice")] == ["9", "1"]
    assert (t.status, t.error) == ("completed", None)


def test_a_twiml_loop_ends_the_call_after_20_documents(
    live: FakeTwilioHttpClient, live_client: Client, service: Service
) -> None:
    service.twiml["/loop"] = "<Response><Redirect>/loop</Redirect></Response>"
    live.call_outcome(TO, "human")

    call = live_client.calls.create(to=TO, from_=FROM, url=BASE + "/loop",
                                    status_callback=STATUS_URL)
    live.drain()

    t = live.transcript(call.sid)
    assert len(t.requests) == 20
    assert t.error is not None and "20 TwiML documents" in t.error
    assert service.to("/twilio/status")[-1]["CallStatus"] == "completed"


@pytest.mark.parametrize(("status", "body", "error"), [
    (500, "<Response><Say>x</Say></Response>", "HTTP 500"),
    (200, "<Response><Say>unclosed", "unparsable TwiML"),
    (200, "<html>hello</html>", "not <Response>"),
])
def test_a_bad_voice_answer_ends_the_call_and_is_recorded(
    live: FakeTwilioHttpClient, live_client: Client, service: Service,
    status: int, body: str, error: str,
) -> None:
    service.twiml["/voice"] = body
    service.status["/voice"] = status
    live.call_outcome(TO, "human", keys="1")

    call = live_client.calls.create(to=TO, from_=FROM, url=BASE + "/voice",
                                    status_callback=STATUS_URL)
    live.drain()

    t = live.transcript(call.sid)
    assert t.error is not None and error in t.error
    assert (t.said, t.requests, t.status) == ([], [(BASE + "/voice", status)], "completed")
    assert service.to("/twilio/status")[-1]["CallStatus"] == "completed"
    assert live.callback_errors == []


def test_inline_twiml_is_played_without_fetching(
    live: FakeTwilioHttpClient, live_client: Client, service: Service
) -> None:
    service.twiml["/voice/choice"] = ACCEPTED
    live.call_outcome(TO, "human", keys="1")
    twiml = MENU.replace("/voice/choice", BASE + "/voice/choice")

    call = live_client.calls.create(to=TO, from_=FROM, twiml=twiml)
    live.drain()

    t = live.transcript(call.sid)
    assert t.requests == [(BASE + "/voice/choice?incident=417", 200)]
    assert t.keys == ["1"] and t.said[-1] == "Accepted. Thank you."


# ---------------------------------------------------------------------- failures, timeouts


def test_timeout_next_raises_read_timeout_through_the_real_client(
    fake: FakeTwilioHttpClient, client: Client
) -> None:
    fake.timeout_next()

    with pytest.raises(ReadTimeout):  # twilio does not wrap transport errors
        client.messages.create(to=TO, from_=FROM, body="x")

    assert fake.messages == []
    [req] = fake.requests
    assert (req.status, req.timed_out) == (0, True)
    client.messages.create(to=TO, from_=FROM, body="y")
    assert [m.body for m in fake.messages] == ["y"]


def test_a_timeout_after_processing_still_sends_and_calls_back(
    live: FakeTwilioHttpClient, live_client: Client, service: Service
) -> None:
    live.timeout_next(after_processing=True)

    with pytest.raises(ReadTimeout):
        live_client.messages.create(to=TO, from_=FROM, body="x", status_callback=STATUS_URL)
    live.drain()

    [sent] = live.messages
    assert live.requests[0].status == 201 and live.requests[0].timed_out
    assert [p["MessageStatus"] for p in service.to("/twilio/status")] == ["sent", "delivered"]
    assert [m.sid for m in live_client.messages.list(to=TO, limit=20)] == [sent.sid]


def test_faults_can_target_only_sends(fake: FakeTwilioHttpClient, client: Client) -> None:
    client.messages.create(to=TO, from_=FROM, body="before")
    fake.fail_next(503, 20503, "Service Unavailable", path_suffix="Messages.json",
                   method="POST")
    fake.timeout_next(path_suffix="Calls.json")

    assert len(client.messages.list(to=TO, limit=20)) == 1  # listing is not affected
    with pytest.raises(ReadTimeout):
        client.calls.create(to=TO, from_=FROM, url=BASE + "/voice")
    with pytest.raises(TwilioRestException) as exc:
        client.messages.create(to=TO, from_=FROM, body="x")
    assert (exc.value.status, exc.value.code) == (503, 20503)
    client.messages.create(to=TO, from_=FROM, body="after")

    assert [m.body for m in fake.messages] == ["before", "after"]
    assert [(r.method, r.status) for r in fake.requests] == [
        ("POST", 201), ("GET", 200), ("POST", 0), ("POST", 503), ("POST", 201)]


def test_a_failed_listing_is_a_plain_twilio_exception(
    fake: FakeTwilioHttpClient, client: Client
) -> None:
    fake.fail_next(500, 20500, "Internal Server Error", method="GET")
    with pytest.raises(TwilioException):  # the client's pager does not parse error bodies
        client.messages.list(to=TO, limit=20)


# ---------------------------------------------------------------------- listing


def test_list_messages_through_the_real_client(fake: FakeTwilioHttpClient,
                                               client: Client) -> None:
    other = "+15551230002"
    sids = [client.messages.create(to=to, from_=FROM, body=str(i)).sid
            for i, to in enumerate([TO, other, TO, TO])]

    listed = client.messages.list(to=TO, limit=20)

    assert [m.sid for m in listed] == [sids[3], sids[2], sids[0]]  # newest first
    assert {m.status for m in listed} == {"delivered"}
    assert listed[0].date_sent is not None and listed[0].date_sent.timestamp() == NOW
    get = fake.requests[-1]
    assert (get.method, get.params) == ("GET", {"To": TO, "PageSize": 20})
    assert [m.sid for m in client.messages.list(limit=20)] == sids[::-1]
    assert [m.sid for m in client.messages.list(to=TO, page_size=2)] == [
        sids[3], sids[2], sids[0]]  # follows next_page_uri
    assert client.messages.list(to="+15550000000", limit=20) == []


def test_list_messages_by_date_sent(fake: FakeTwilioHttpClient, client: Client) -> None:
    sid = client.messages.create(to=TO, from_=FROM, body="x").sid
    sent = datetime.fromtimestamp(NOW, UTC)

    assert [m.sid for m in client.messages.list(to=TO, date_sent_after=sent)] == [sid]
    assert [m.sid for m in client.messages.list(to=TO, date_sent_before=sent)] == [sid]
    assert [m.sid for m in client.messages.list(to=TO, date_sent=sent.date())] == [sid]
    later = datetime.fromtimestamp(NOW + 1, UTC)
    assert client.messages.list(to=TO, date_sent_after=later) == []


def test_a_message_not_yet_sent_has_no_date_sent_and_escapes_date_filters(
    service: Service
) -> None:
    fake = FakeTwilioHttpClient(clock=Clock(NOW), auth_token=AUTH_TOKEN, webhook=service,
                                callback_delay=30)
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=fake)
    sid = client.messages.create(to=TO, from_=FROM, body="x").sid
    try:
        [queued] = client.messages.list(to=TO, limit=20)
        assert (queued.sid, queued.status, queued.date_sent) == (sid, "queued", None)
        since = datetime.fromtimestamp(NOW - 60, UTC)
        assert client.messages.list(to=TO, date_sent_after=since) == []
    finally:
        fake.clear()  # the sleeping worker stops without posting


def test_list_calls_through_the_real_client(fake: FakeTwilioHttpClient,
                                            client: Client) -> None:
    first = client.calls.create(to=TO, from_=FROM, url=BASE + "/voice").sid
    client.calls.create(to="+15551230002", from_=FROM, url=BASE + "/voice")
    last = client.calls.create(to=TO, from_=FROM, twiml="<Response/>").sid

    assert [c.sid for c in client.calls.list(to=TO, limit=20)] == [last, first]
    assert len(client.calls.list(limit=20)) == 3
    assert client.calls.list(to=TO, status="completed", limit=20) == []


def test_fetching_an_unknown_message_is_a_404(client: Client) -> None:
    with pytest.raises(TwilioRestException) as exc:
        client.messages("SM" + "0" * 32).fetch()
    assert (exc.value.status, exc.value.code) == (404, 20404)


# ---------------------------------------------------------------------- opt-out


def test_an_opted_out_number_gets_21610_but_can_still_be_called(
    fake: FakeTwilioHttpClient, client: Client
) -> None:
    fake.opt_out(TO)

    with pytest.raises(TwilioRestException) as exc:
        client.messages.create(to=TO, from_=FROM, body="x")
    assert (exc.value.status, exc.value.code) == (400, 21610)
    assert "unsubscribed recipient" in exc.value.msg
    assert fake.messages == []
    client.calls.create(to=TO, from_=FROM, url=BASE + "/voice")
    assert len(fake.calls) == 1

    fake.opt_in(TO)
    client.messages.create(to=TO, from_=FROM, body="y")
    assert [m.body for m in fake.messages] == ["y"]


# ---------------------------------------------------------------------- workers


def test_drain_names_what_is_still_pending(live: FakeTwilioHttpClient, live_client: Client,
                                           service: Service) -> None:
    release = threading.Event()

    def slow(params: dict[str, str]) -> str:
        release.wait(5)
        return ""

    service.twiml["/twilio/status"] = slow
    msg = live_client.messages.create(to=TO, from_=FROM, body="x", status_callback=STATUS_URL)
    with pytest.raises(TimeoutError, match=msg.sid):
        live.drain(timeout=0.05)
    release.set()
    live.drain()
    assert live.message_status(msg.sid).status == "delivered"


def test_webhook_exceptions_are_recorded_not_lost(
    live: FakeTwilioHttpClient, live_client: Client, service: Service
) -> None:
    def broken(params: dict[str, str]) -> str:
        raise RuntimeError("handler exploded")

    service.twiml["/twilio/status"] = broken
    msg = live_client.messages.create(to=TO, from_=FROM, body="x", status_callback=STATUS_URL)
    live.drain()

    errors = live.callback_errors
    assert len(errors) == 2  # one per status; Twilio goes on with the next one
    assert all(e.sid == msg.sid and e.url == STATUS_URL for e in errors)
    assert isinstance(errors[0].exception, RuntimeError)
    assert "handler exploded" in errors[0].traceback
    assert [w.status for w in live.webhooks] == [None, None]
    assert live.message_status(msg.sid).status == "delivered"


def test_clear_resets_scripts_and_opt_outs(live: FakeTwilioHttpClient, live_client: Client,
                                           service: Service) -> None:
    live.sms_outcome(TO, "failed", 30036)
    live.call_outcome(TO, "human", keys="1")
    live.opt_out("+15551230002")
    live.clear()

    live_client.messages.create(to="+15551230002", from_=FROM, body="x")
    msg = live_client.messages.create(to=TO, from_=FROM, body="y", status_callback=STATUS_URL)
    call = live_client.calls.create(to=TO, from_=FROM, url=BASE + "/voice")
    live.drain()

    assert live.message_status(msg.sid).status == "delivered"
    assert live.transcript(call.sid).status == "no-answer"
    assert live.webhooks and live.callback_errors == []


def test_scripts_reject_impossible_outcomes(fake: FakeTwilioHttpClient) -> None:
    with pytest.raises(ValueError):
        fake.sms_outcome(TO, "delivered", 30003)
    with pytest.raises(ValueError):
        fake.call_outcome(TO, "machine", keys="1")
    with pytest.raises(ValueError):
        fake.sms_outcome(TO, "lost")  # type: ignore[arg-type]
