"""TwilioApi (the real twilio.rest.Client on the fake transport), TwilioSignature, TwiML and
the webhook helpers.

The fake transport (local.fake_twilio) answers like Twilio and can fail or time out on
request; every retry's backoff goes through an injected ``sleep`` that records instead of
sleeping.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

import pytest
import requests
from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator

from crisis_pager.adapters.twilio_rest import (
    CALL_RING_S,
    CALL_TIME_LIMIT_S,
    VALIDITY_MAX_S,
    VALIDITY_MIN_S,
    TwilioApi,
)
from crisis_pager.adapters.twilio_webhook import (
    GATHER_TIMEOUT_S,
    TwilioSignature,
    sms_twiml,
    verified_form,
    voice_twiml,
    webhook_url,
)
from crisis_pager.domain.errors import SendAborted, SmsError
from crisis_pager.domain.incident import SEND_ATTEMPTS, key_path, status_path, voice_path
from local.fake_twilio import FakeTwilioHttpClient, signed_inbound_sms

ACCOUNT_SID = "AC" + "5e" * 16
AUTH_TOKEN = "b3f1c0ffee-auth-token"
FROM = "+15035550199"
SERVICE = "MG" + "7a" * 16
TO = "+15035550101"
BODY = "West IOP: HIGH crisis. Reply A 417 to accept, then call +15035550100."
SID = re.compile(r"^SM[0-9a-f]{32}$")
CALL_SID = re.compile(r"^CA[0-9a-f]{32}$")
BASE = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"
WEBHOOK_URL = BASE + "/twilio/sms"
PAGE = ("inc_7h3k", 2)

assert SEND_ATTEMPTS >= 3, "the retry tests below fail twice and then succeed"


def credentials(**overrides: str) -> dict[str, str]:
    return {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": FROM,
            **overrides}


class Log:
    """One ordered record of what the guard, the transport and the backoff did."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.events.append("sleep")


class LoggedFake(FakeTwilioHttpClient):
    """The fake transport, also writing each request into a shared Log."""

    def __init__(self, log: Log, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._log = log

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        self._log.events.append(f"{method.upper()} {urlparse(url).path.rsplit('/', 1)[-1]}")
        return super().request(method, url, *args, **kwargs)


class Guard:
    """An AttemptGuard answering acquire() from a script (then True)."""

    def __init__(self, log: Log, answers: tuple[bool, ...] = ()) -> None:
        self._log = log
        self._answers = list(answers)
        self.acquired = 0
        self.released = 0

    def acquire(self) -> bool:
        self.acquired += 1
        self._log.events.append("acquire")
        return self._answers.pop(0) if self._answers else True

    def release(self) -> None:
        self.released += 1
        self._log.events.append("release")


@pytest.fixture
def log() -> Log:
    return Log()


@pytest.fixture
def fake(log: Log) -> LoggedFake:
    return LoggedFake(log, credentials=(ACCOUNT_SID, AUTH_TOKEN))


def api(fake: Any, log: Log, base: str = BASE, **overrides: str) -> TwilioApi:
    return TwilioApi(credentials(**overrides), base_url=lambda: base, http_client=fake,
                     sleep=log.sleep)


def posts(fake: FakeTwilioHttpClient, resource: str = "Messages.json") -> int:
    return sum(1 for r in fake.requests if r.method == "POST" and r.url.endswith(resource))


def listings(fake: FakeTwilioHttpClient, resource: str = "Messages.json") -> int:
    return sum(1 for r in fake.requests if r.method == "GET" and r.url.endswith(resource))


# ------------------------------------------------------------------ outbound SMS: parameters


def test_send_with_a_from_number(fake: LoggedFake, log: Log) -> None:
    sid = api(fake, log, messaging_service_sid="").send(TO, BODY)
    (message,) = fake.messages
    assert SID.match(sid) and sid == message.sid
    assert (message.account_sid, message.to, message.from_, message.body) == (
        ACCOUNT_SID, TO, FROM, BODY)
    assert message.messaging_service_sid is None
    assert log.sleeps == []


def test_send_with_a_messaging_service_takes_precedence_over_the_number(
    fake: LoggedFake, log: Log
) -> None:
    sid = api(fake, log, messaging_service_sid=SERVICE).send(TO, BODY)
    (message,) = fake.messages
    assert sid == message.sid
    assert (message.messaging_service_sid, message.from_) == (SERVICE, None)

    fake.clear()
    api(fake, log, from_number="", messaging_service_sid=SERVICE).send(TO, BODY)
    (message,) = fake.messages
    assert (message.messaging_service_sid, message.from_) == (SERVICE, None)


def test_a_page_asks_for_status_reports_at_its_own_url(fake: LoggedFake, log: Log) -> None:
    api(fake, log).send(TO, BODY, page=PAGE)
    (message,) = fake.messages
    assert message.status_callback == f"{BASE}/twilio/status/inc_7h3k/2"
    assert message.status_callback == BASE + status_path(*PAGE)


def test_no_status_callback_without_a_page_or_without_a_base_url(
    fake: LoggedFake, log: Log
) -> None:
    api(fake, log).send(TO, BODY)  # an admin's text: no page
    api(fake, log, base="").send(TO, BODY, page=PAGE)  # no public URL known
    assert [m.status_callback for m in fake.messages] == [None, None]
    assert all("StatusCallback" not in m.params for m in fake.messages)


def test_the_base_url_is_read_at_each_send(fake: LoggedFake, log: Log) -> None:
    bases = iter(["https://first.example", "https://second.example"])
    sms = TwilioApi(credentials(), base_url=lambda: next(bases), http_client=fake,
                    sleep=log.sleep)
    sms.send(TO, BODY, page=PAGE)
    sms.send(TO, BODY, page=PAGE)
    assert [m.status_callback for m in fake.messages] == [
        "https://first.example" + status_path(*PAGE),
        "https://second.example" + status_path(*PAGE)]


@pytest.mark.parametrize(("validity_s", "sent"), [
    (None, None),
    (0, VALIDITY_MIN_S),
    (3, VALIDITY_MIN_S),
    (5, 5),
    (600, 600),
    (90.7, 90),
    (36_000, 36_000),
    (100_000, VALIDITY_MAX_S),
])
def test_validity_period_is_clamped_to_what_twilio_accepts(
    fake: LoggedFake, log: Log, validity_s: Any, sent: int | None
) -> None:
    assert (VALIDITY_MIN_S, VALIDITY_MAX_S) == (5, 36_000)
    api(fake, log).send(TO, BODY, page=PAGE, validity_s=validity_s)
    (message,) = fake.messages
    if sent is None:
        assert "ValidityPeriod" not in message.params
    else:
        assert int(message.params["ValidityPeriod"]) == sent


# ------------------------------------------------------------------ outbound SMS: retries


@pytest.mark.parametrize(("status", "code", "ambiguous"), [
    (503, 20503, True),
    (500, 20500, True),
    (429, 20429, False),
])
def test_a_transient_http_error_is_retried_and_one_message_goes_out(
    fake: LoggedFake, log: Log, status: int, code: int, ambiguous: bool
) -> None:
    fake.fail_next(status, code, "try again", times=2, path_suffix="Messages.json",
                   method="POST")
    sid = api(fake, log).send(TO, BODY, page=PAGE)
    (message,) = fake.messages
    assert sid == message.sid
    assert posts(fake) == 3
    assert len(log.sleeps) == 2 and all(0 < s <= 1.0 for s in log.sleeps)
    # A 5xx may have been acted on: look before sending again. A 429 was refused: no need.
    assert listings(fake) == (2 if ambiguous else 0)


def test_a_read_timeout_before_twilio_took_it_is_retried_once(
    fake: LoggedFake, log: Log
) -> None:
    fake.timeout_next(path_suffix="Messages.json", method="POST")
    sid = api(fake, log).send(TO, BODY, page=PAGE)
    (message,) = fake.messages
    assert sid == message.sid
    assert log.events == ["POST Messages.json", "sleep", "GET Messages.json",
                          "POST Messages.json"]


def test_a_timeout_after_twilio_took_the_message_returns_it_and_sends_no_second(
    fake: LoggedFake, log: Log
) -> None:
    fake.timeout_next(after_processing=True, path_suffix="Messages.json", method="POST")
    sid = api(fake, log).send(TO, BODY, page=PAGE)
    (message,) = fake.messages  # exactly one: the answer was lost, not the message
    assert sid == message.sid
    assert posts(fake) == 1
    assert listings(fake) == 1
    (listing,) = [r for r in fake.requests if r.method == "GET"]
    assert listing.params.get("To") == TO


def test_a_503_after_twilio_took_the_message_sends_no_second(
    fake: LoggedFake, log: Log
) -> None:
    fake.fail_next(503, 20503, "Service Unavailable", after_processing=True,
                   path_suffix="Messages.json", method="POST")
    sid = api(fake, log, messaging_service_sid=SERVICE).send(TO, BODY, page=PAGE)
    (message,) = fake.messages
    assert sid == message.sid
    assert posts(fake) == 1 and listings(fake) == 1


def test_the_lookup_ignores_other_texts_to_the_same_number(fake: LoggedFake, log: Log) -> None:
    sms = api(fake, log)
    other = sms.send(TO, "West IOP: another page. Reply A 512 to accept.")
    fake.timeout_next(path_suffix="Messages.json", method="POST")  # not taken
    sid = sms.send(TO, BODY, page=PAGE)
    assert sid != other
    assert [m.body for m in fake.messages] == ["West IOP: another page. Reply A 512 to accept.",
                                               BODY]
    assert sid == fake.messages[1].sid


def test_a_429_is_retried_without_a_lookup(fake: LoggedFake, log: Log) -> None:
    fake.fail_next(429, 20429, "Too Many Requests", path_suffix="Messages.json", method="POST")
    sid = api(fake, log).send(TO, BODY)
    assert sid == fake.messages[0].sid and len(fake.messages) == 1
    assert log.events == ["POST Messages.json", "sleep", "POST Messages.json"]


@pytest.mark.parametrize(("code", "message"), [
    (21211, "The 'To' number +1503555 is not a valid phone number."),
    (21610, "Attempt to send to unsubscribed recipient"),
])
def test_a_permanent_400_is_not_retried(
    fake: LoggedFake, log: Log, code: int, message: str
) -> None:
    fake.fail_next(400, code, message)
    with pytest.raises(SmsError) as exc:
        api(fake, log).send(TO, BODY, page=PAGE)
    assert exc.value.code == code and exc.value.permanent is True
    assert message in str(exc.value)
    assert len(fake.requests) == 1 and fake.messages == [] and log.sleeps == []
    assert SID.match(api(fake, log).send(TO, BODY))  # the next send goes through


def test_an_opted_out_number_is_refused_with_21610_at_once(fake: LoggedFake, log: Log) -> None:
    fake.opt_out(TO)
    with pytest.raises(SmsError) as exc:
        api(fake, log).send(TO, BODY, page=PAGE)
    assert (exc.value.code, exc.value.permanent) == (21610, True)
    assert len(fake.requests) == 1 and fake.messages == []


def test_wrong_credentials_become_a_permanent_sms_error_20003(log: Log) -> None:
    fake = LoggedFake(log, credentials=(ACCOUNT_SID, "the-real-token"))
    with pytest.raises(SmsError) as exc:
        api(fake, log).send(TO, BODY)
    assert (exc.value.code, exc.value.permanent) == (20003, True)
    assert fake.messages == [] and len(fake.requests) == 1


def test_retries_exhausted_raise_a_transient_sms_error_with_twilios_code(
    fake: LoggedFake, log: Log
) -> None:
    fake.fail_next(503, 20503, "Service Unavailable", times=SEND_ATTEMPTS + 1,
                   path_suffix="Messages.json", method="POST")
    with pytest.raises(SmsError) as exc:
        api(fake, log).send(TO, BODY, page=PAGE)
    assert (exc.value.code, exc.value.permanent) == (20503, False)
    assert "503" in str(exc.value)
    assert posts(fake) == SEND_ATTEMPTS and fake.messages == []
    assert len(log.sleeps) == SEND_ATTEMPTS - 1  # and no fourth attempt for the fourth fault


def test_timeouts_exhausted_raise_a_transient_sms_error_without_a_code(
    fake: LoggedFake, log: Log
) -> None:
    fake.timeout_next(times=SEND_ATTEMPTS, path_suffix="Messages.json", method="POST")
    with pytest.raises(SmsError) as exc:
        api(fake, log).send(TO, BODY)
    assert (exc.value.code, exc.value.permanent) == (None, False)
    assert posts(fake) == SEND_ATTEMPTS and fake.messages == []


class _Refused(HTTPAdapter):
    """A transport that never reaches Twilio; counts what it was asked to send."""

    def __init__(self, error: type[Exception]) -> None:
        super().__init__()
        self.error = error
        self.sent: list[str] = []

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.sent.append(request.method)
        raise self.error(f"connect to {request.url} failed")


def _transport(error: type[Exception]) -> tuple[TwilioHttpClient, _Refused]:
    transport = TwilioHttpClient()
    adapter = _Refused(error)
    assert transport.session is not None
    transport.session.mount("https://", adapter)
    return transport, adapter


def test_a_connect_timeout_is_retried_without_a_lookup(log: Log) -> None:
    transport, adapter = _transport(requests.exceptions.ConnectTimeout)
    with pytest.raises(SmsError) as exc:
        api(transport, log).send(TO, BODY)
    assert (exc.value.code, exc.value.permanent) == (None, False)
    assert adapter.sent == ["POST"] * SEND_ATTEMPTS  # never reached Twilio: nothing to look for


def test_a_dropped_connection_is_ambiguous_and_looked_up_before_each_retry(log: Log) -> None:
    transport, adapter = _transport(requests.exceptions.ConnectionError)
    with pytest.raises(SmsError) as exc:
        api(transport, log).send(TO, BODY)
    assert (exc.value.code, exc.value.permanent) == (None, False)
    # Twilio may have taken the first POST: each retry looks first (and, the network being
    # down, the lookup fails too, so no second POST is ever made)
    assert adapter.sent == ["POST"] + ["GET"] * (SEND_ATTEMPTS - 1)
    assert len(log.sleeps) == SEND_ATTEMPTS - 1


# ------------------------------------------------------------------ outbound SMS: the guard


def test_each_attempt_runs_inside_the_guard_and_the_backoff_outside(
    fake: LoggedFake, log: Log
) -> None:
    guard = Guard(log)
    fake.fail_next(503, 20503, "Service Unavailable", times=2, path_suffix="Messages.json",
                   method="POST")
    sid = api(fake, log).send(TO, BODY, page=PAGE, guard=guard)
    assert sid == fake.messages[0].sid
    assert (guard.acquired, guard.released) == (SEND_ATTEMPTS, SEND_ATTEMPTS)
    assert log.events == [
        "acquire", "POST Messages.json", "release", "sleep",
        "acquire", "GET Messages.json", "POST Messages.json", "release", "sleep",
        "acquire", "GET Messages.json", "POST Messages.json", "release",
    ]


def test_one_attempt_one_acquire_and_one_release(fake: LoggedFake, log: Log) -> None:
    guard = Guard(log)
    api(fake, log).send(TO, BODY, page=PAGE, guard=guard)
    assert log.events == ["acquire", "POST Messages.json", "release"]


def test_the_guard_is_released_after_a_permanent_failure(fake: LoggedFake, log: Log) -> None:
    guard = Guard(log)
    fake.opt_out(TO)
    with pytest.raises(SmsError):
        api(fake, log).send(TO, BODY, guard=guard)
    assert log.events == ["acquire", "POST Messages.json", "release"]


def test_a_guard_that_says_no_at_once_sends_nothing(fake: LoggedFake, log: Log) -> None:
    guard = Guard(log, answers=(False,))
    with pytest.raises(SendAborted):
        api(fake, log).send(TO, BODY, page=PAGE, guard=guard)
    assert fake.requests == [] and fake.messages == []
    assert log.events == ["acquire"]  # not taken, so not released
    assert guard.released == 0


def test_a_guard_that_says_no_on_a_retry_stops_the_retries(fake: LoggedFake, log: Log) -> None:
    guard = Guard(log, answers=(True, False))
    fake.fail_next(503, 20503, "Service Unavailable", times=2, path_suffix="Messages.json",
                   method="POST")
    with pytest.raises(SendAborted):
        api(fake, log).send(TO, BODY, page=PAGE, guard=guard)
    # The 503 was ambiguous: before saying "not sent" it looks (sending nothing).
    assert fake.messages == [] and posts(fake) == 1 and listings(fake) == 1
    assert log.events == ["acquire", "POST Messages.json", "release", "sleep", "acquire",
                          "GET Messages.json"]


def test_a_page_that_went_out_before_the_rung_closed_is_reported_sent(
    fake: LoggedFake, log: Log,
) -> None:
    """Twilio took the SMS but the answer was lost, then the incident was accepted: the
    page did go out (before the acceptance), so send() returns it, never SendAborted."""
    guard = Guard(log, answers=(True, False))
    fake.timeout_next(after_processing=True, path_suffix="Messages.json", method="POST")
    sid = api(fake, log).send(TO, BODY, page=PAGE, guard=guard)
    (message,) = fake.messages
    assert sid == message.sid and posts(fake) == 1


# ------------------------------------------------------------------ voice calls


def test_a_call_fetches_its_twiml_and_reports_status_at_the_pages_urls(
    fake: LoggedFake, log: Log
) -> None:
    sid = api(fake, log, messaging_service_sid=SERVICE).call(TO, page=PAGE)
    (call,) = fake.calls
    assert CALL_SID.match(sid) and sid == call.sid
    assert (call.to, call.from_) == (TO, FROM)  # a Messaging Service cannot place calls
    assert call.url == f"{BASE}/twilio/voice/inc_7h3k/2" == BASE + voice_path(*PAGE)
    assert call.status_callback == BASE + status_path(*PAGE)
    params = call.params
    assert params["Method"] == "POST" and params["StatusCallbackMethod"] == "POST"
    assert params["MachineDetection"] == "Enable"
    assert int(params["Timeout"]) == CALL_RING_S
    assert int(params["TimeLimit"]) == CALL_TIME_LIMIT_S
    events = params["StatusCallbackEvent"]
    assert (events if isinstance(events, list) else [events]) == ["completed"]
    assert fake.messages == []


def test_a_call_needs_a_from_number(fake: LoggedFake, log: Log) -> None:
    voice = api(fake, log, from_number="", messaging_service_sid=SERVICE)
    with pytest.raises(SmsError, match="from_number"):
        voice.call(TO, page=PAGE)
    assert fake.requests == []


def test_a_call_needs_a_public_base_url(fake: LoggedFake, log: Log) -> None:
    guard = Guard(log)
    with pytest.raises(SmsError, match="base URL") as exc:
        api(fake, log, base="").call(TO, page=PAGE, guard=guard)
    assert exc.value.permanent is True
    assert fake.requests == [] and guard.acquired == 0


def test_a_call_refused_by_twilio_is_a_permanent_sms_error(fake: LoggedFake, log: Log) -> None:
    fake.fail_next(400, 21216, "Account not allowed to call +15035550101",
                   path_suffix="Calls.json", method="POST")
    with pytest.raises(SmsError) as exc:
        api(fake, log).call(TO, page=PAGE)
    assert (exc.value.code, exc.value.permanent) == (21216, True)
    assert fake.calls == [] and posts(fake, "Calls.json") == 1


def test_a_429_on_a_call_is_retried_without_a_lookup(fake: LoggedFake, log: Log) -> None:
    guard = Guard(log)
    fake.fail_next(429, 20429, "Too Many Requests", path_suffix="Calls.json", method="POST")
    sid = api(fake, log).call(TO, page=PAGE, guard=guard)
    (call,) = fake.calls
    assert sid == call.sid
    assert log.events == [PRE_LISTING, "acquire", "POST Calls.json", "release", "sleep",
                          "acquire", "POST Calls.json", "release"]


def test_call_retries_exhausted_raise_a_transient_sms_error(fake: LoggedFake, log: Log) -> None:
    fake.fail_next(429, 20429, "Too Many Requests", times=SEND_ATTEMPTS,
                   path_suffix="Calls.json", method="POST")
    with pytest.raises(SmsError) as exc:
        api(fake, log).call(TO, page=PAGE)
    assert (exc.value.code, exc.value.permanent) == (20429, False)
    assert fake.calls == [] and posts(fake, "Calls.json") == SEND_ATTEMPTS


def test_a_guard_that_says_no_places_no_call(fake: LoggedFake, log: Log) -> None:
    with pytest.raises(SendAborted):
        api(fake, log).call(TO, page=PAGE, guard=Guard(log, answers=(False,)))
    assert posts(fake, "Calls.json") == 0 and fake.calls == []


# A call names nothing about its page, so call() lists the number's calls once before
# its first attempt, and an ambiguous failure's lookup only trusts calls not listed then.
PRE_LISTING = "GET Calls.json"


def test_a_timeout_after_twilio_placed_the_call_returns_it_and_places_no_second(
    fake: LoggedFake, log: Log
) -> None:
    guard = Guard(log)
    fake.timeout_next(after_processing=True, path_suffix="Calls.json", method="POST")
    sid = api(fake, log).call(TO, page=PAGE, guard=guard)
    (call,) = fake.calls  # one call only: the clinician's phone rings once
    assert sid == call.sid
    assert log.events == [PRE_LISTING, "acquire", "POST Calls.json", "release", "sleep",
                          "acquire", "GET Calls.json", "release"]


def test_a_503_on_a_call_is_looked_up_then_retried_and_one_call_placed(
    fake: LoggedFake, log: Log
) -> None:
    fake.fail_next(503, 20503, "Service Unavailable", times=2, path_suffix="Calls.json",
                   method="POST")
    sid = api(fake, log).call(TO, page=PAGE)
    (call,) = fake.calls
    assert sid == call.sid
    assert posts(fake, "Calls.json") == 3 and listings(fake, "Calls.json") == 1 + 2


def test_the_call_lookup_never_takes_another_pages_call(fake: LoggedFake, log: Log) -> None:
    voice = api(fake, log)
    other = voice.call(TO, page=("inc_other", 0))
    fake.fail_next(503, 20503, "Service Unavailable", path_suffix="Calls.json", method="POST")
    sid = voice.call(TO, page=PAGE)
    assert sid != other
    assert [c.url for c in fake.calls] == [BASE + voice_path("inc_other", 0),
                                           BASE + voice_path(*PAGE)]


# ------------------------------------------------------------------ construction


@pytest.mark.parametrize("overrides", [
    {"from_number": ""},
    {"from_number": "", "messaging_service_sid": ""},
])
def test_credentials_without_a_sender_raise_value_error(overrides: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="from_number or messaging_service_sid"):
        TwilioApi(credentials(**overrides), base_url=lambda: BASE,
                  http_client=FakeTwilioHttpClient())


def test_credentials_without_a_sender_key_raise_value_error() -> None:
    creds = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
    with pytest.raises(ValueError, match="from_number or messaging_service_sid"):
        TwilioApi(creds, base_url=lambda: BASE, http_client=FakeTwilioHttpClient())


# ------------------------------------------------------------------ inbound signature


def _inbound(url: str = WEBHOOK_URL, token: str = AUTH_TOKEN,
             body: str = "A 417") -> tuple[dict[str, str], dict[str, str]]:
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
        params["Body"] = "A 418"
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


# ------------------------------------------------------------------ webhook paths and URLs


def test_each_page_has_its_own_paths() -> None:
    assert status_path("inc_a", 0) == "/twilio/status/inc_a/0"
    assert voice_path("inc_a", 3) == "/twilio/voice/inc_a/3"
    assert key_path("inc_a", 3) == "/twilio/voice/inc_a/3/key"
    assert len({status_path("inc_a", 1), status_path("inc_a", 2), status_path("inc_b", 1)}) == 3


def test_webhook_url_prefers_the_configured_base() -> None:
    path = status_path(*PAGE)
    assert webhook_url(BASE, path, "internal.example", "/prod" + path) == BASE + path
    assert webhook_url("", path, "abc123.execute-api.us-east-1.amazonaws.com",
                       "/prod" + path) == BASE + path


def _status_post(url: str, **fields: str) -> tuple[str, str]:
    """(urlencoded body, X-Twilio-Signature) of a status report Twilio POSTs to url."""
    params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "undelivered",
              "ErrorCode": "30003", "To": TO, "From": FROM, "AccountSid": ACCOUNT_SID,
              "ApiVersion": "2010-04-01", "SmsStatus": "", **fields}
    return urlencode(params), RequestValidator(AUTH_TOKEN).compute_signature(url, params)


def test_verified_form_returns_the_form_when_the_signature_holds() -> None:
    url = BASE + status_path(*PAGE)
    body, signed = _status_post(url)
    form = verified_form(TwilioSignature(AUTH_TOKEN), url, body, signed)
    assert form is not None
    assert form["MessageStatus"] == "undelivered" and form["ErrorCode"] == "30003"
    assert form["SmsStatus"] == ""  # blank fields are kept: they are part of the signature


def test_verified_form_refuses_a_signature_over_another_pages_url() -> None:
    body, signed = _status_post(BASE + status_path("inc_7h3k", 1))
    # replayed at rung 2's URL: the page it is about cannot be changed
    assert verified_form(TwilioSignature(AUTH_TOKEN), BASE + status_path(*PAGE), body,
                         signed) is None
    assert verified_form(TwilioSignature(AUTH_TOKEN), BASE + status_path("inc_other", 1),
                         body, signed) is None


@pytest.mark.parametrize("tamper", ["status", "error_code", "added", "token", "unsigned"])
def test_verified_form_refuses_a_tampered_post(tamper: str) -> None:
    url = BASE + status_path(*PAGE)
    body, signed = _status_post(url)
    token: str = AUTH_TOKEN
    signature: str | None = signed
    if tamper == "status":
        body = body.replace("MessageStatus=undelivered", "MessageStatus=delivered")
    elif tamper == "error_code":
        body = body.replace("ErrorCode=30003", "ErrorCode=30008")
    elif tamper == "added":
        body += "&AnsweredBy=human"
    elif tamper == "token":
        token = "another-auth-token"
    else:
        signature = None
    assert body != _status_post(url)[0] or tamper in ("token", "unsigned")
    assert verified_form(TwilioSignature(token), url, body, signature) is None


def test_verified_form_of_an_empty_body() -> None:
    url = BASE + voice_path(*PAGE)
    signed = RequestValidator(AUTH_TOKEN).compute_signature(url, {})
    assert verified_form(TwilioSignature(AUTH_TOKEN), url, "", signed) == {}
    assert verified_form(TwilioSignature(AUTH_TOKEN), url, "Digits=1", signed) is None


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


KEY_URL = BASE + key_path(*PAGE)


def test_voice_twiml_says_gathers_one_key_then_says_and_hangs_up() -> None:
    xml = voice_twiml(["West IOP crisis page.", "A participant needs you."],
                      gather="Press 1 to accept, 2 to pass.", gather_url=KEY_URL,
                      then=["No key pressed. Goodbye."])
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    assert [c.tag for c in root] == ["Say", "Say", "Gather", "Say", "Hangup"]
    assert [root[0].text, root[1].text, root[3].text] == [
        "West IOP crisis page.", "A participant needs you.", "No key pressed. Goodbye."]
    gather = root[2]
    assert gather.get("numDigits") == "1"
    assert gather.get("action") == KEY_URL and gather.get("method") == "POST"
    assert gather.get("timeout") == str(GATHER_TIMEOUT_S)
    assert gather.get("actionOnEmptyResult") == "false"  # silence falls through, not posts
    assert [(c.tag, c.text) for c in gather] == [("Say", "Press 1 to accept, 2 to pass.")]
    assert all(c.get("language") == "en-US" for c in root.iter("Say"))


def test_voice_twiml_with_a_redirect_redirects_instead_of_hanging_up() -> None:
    again = BASE + voice_path(*PAGE)
    root = ET.fromstring(voice_twiml(["Please hold."], redirect_url=again))
    assert [c.tag for c in root] == ["Say", "Redirect"]
    assert (root[1].text, root[1].get("method")) == (again, "POST")
    assert root.find("Hangup") is None


def test_voice_twiml_with_nothing_to_gather_just_hangs_up() -> None:
    root = ET.fromstring(voice_twiml(["Accepted. Thank you."]))
    assert [(c.tag, c.text) for c in root] == [("Say", "Accepted. Thank you."), ("Hangup", None)]


def test_voice_twiml_escapes_what_it_says() -> None:
    text = "Code <417> & </Say><Redirect>https://evil.example</Redirect>"
    root = ET.fromstring(voice_twiml([text]))
    assert [c.tag for c in root] == ["Say", "Hangup"]
    assert root[0].text == text


@pytest.mark.parametrize(("answer", "keys", "said_last", "pressed"), [
    ("human", "1", "Accepted. Thank you.", ["1"]),
    ("machine", "", "No key pressed. Goodbye.", []),
])
def test_voice_twiml_plays_on_the_fake_like_twilio(
    answer: Any, keys: str, said_last: str, pressed: list[str]
) -> None:
    """The fake interprets TwiML as Twilio does: a key reaches the Gather's action; a
    machine (which never presses) falls through to the goodbye and the Hangup."""
    voice_url = BASE + voice_path(*PAGE)
    got: list[tuple[str, dict[str, str]]] = []

    def webhook(url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        got.append((url, params))
        if url == voice_url:
            assert verified_form(TwilioSignature(AUTH_TOKEN), url, urlencode(params),
                                 headers["X-Twilio-Signature"]) == params
            return 200, voice_twiml(["Crisis page."], gather="Press 1 to accept.",
                                    gather_url=KEY_URL, then=["No key pressed. Goodbye."])
        if url == KEY_URL:
            return 200, voice_twiml(["Accepted. Thank you."])
        return 204, ""

    fake = FakeTwilioHttpClient(auth_token=AUTH_TOKEN, webhook=webhook, callback_delay=0)
    fake.call_outcome(TO, answer, keys)
    sid = TwilioApi(credentials(), base_url=lambda: BASE, http_client=fake,
                    sleep=lambda s: None).call(TO, page=PAGE)
    fake.drain()
    assert fake.callback_errors == []
    transcript = fake.transcript(sid)
    assert transcript.error is None
    assert transcript.keys == pressed
    assert transcript.said[-1] == said_last
    assert transcript.verbs[-1] == "Hangup"
    assert [u for u, _ in got if u != BASE + status_path(*PAGE)] == (
        [voice_url, KEY_URL] if pressed else [voice_url])
