"""The hotline's HMAC signature: genuine requests pass, anything altered or stale fails."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis_pager.domain.signature import (
    HOTLINE_HEADER,
    MAX_SKEW_S,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    sign,
    signed_headers,
    verify,
)

PROPERTY = settings(max_examples=200, deadline=None)
TS = 1_780_000_000
SECRET = "whsec_test_3f9a"
PATH = "/v1/escalations"
BODY = '{"event_id":"evt-1","severity":"high"}'
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

# secrets as configured: printable, no NUL (HMAC zero-pads short keys, so "k" and "k\0"
# are the same key; that is HMAC, not this module)
secrets = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=64)
paths = st.text(min_size=1, max_size=60).map(lambda s: "/" + s)
bodies = st.text(max_size=300)
timestamps = st.integers(1_000_000_000, 4_000_000_000)


def check(secret: str | None = SECRET, *, timestamp: str | None = str(TS),
          signature: str | None = None, method: str = "POST", path: str = PATH,
          body: str = BODY, now: float = TS) -> None:
    if signature is None:
        signature = sign(SECRET, TS, "POST", PATH, BODY)
    verify(secret, timestamp=timestamp, signature=signature, method=method, path=path,
           body=body, now_epoch=now)


def test_sign_format() -> None:
    assert re.fullmatch(r"v1=[0-9a-f]{64}", sign(SECRET, TS, "POST", PATH, BODY))


def test_a_genuine_request_verifies() -> None:
    check()
    check(method="post")  # the method is compared upper-cased
    check(signature="  " + sign(SECRET, TS, "POST", PATH, BODY) + "\n")


@PROPERTY
@given(secret=secrets, ts=timestamps, method=st.sampled_from(METHODS), path=paths, body=bodies)
def test_round_trip(secret: str, ts: int, method: str, path: str, body: str) -> None:
    headers = signed_headers("hotline-1", secret, ts, method, path, body)
    assert headers[HOTLINE_HEADER] == "hotline-1"
    verify(secret, timestamp=headers[TIMESTAMP_HEADER], signature=headers[SIGNATURE_HEADER],
           method=method, path=path, body=body, now_epoch=ts)


@PROPERTY
@given(
    secret=secrets, ts=timestamps, method=st.sampled_from(METHODS), path=paths, body=bodies,
    data=st.data(),
)
def test_any_single_change_fails(
    secret: str, ts: int, method: str, path: str, body: str, data: st.DataObject
) -> None:
    good = {"secret": secret, "ts": ts, "method": method, "path": path, "body": body}
    signature = sign(secret, ts, method, path, body)
    field = data.draw(st.sampled_from(sorted(good)))
    changed = dict(good)
    if field == "secret":
        changed["secret"] = data.draw(secrets.filter(lambda s: s != secret))
    elif field == "ts":
        changed["ts"] = ts + data.draw(st.integers(-MAX_SKEW_S, MAX_SKEW_S).filter(bool))
    elif field == "method":
        changed["method"] = data.draw(st.sampled_from([m for m in METHODS if m != method]))
    elif field == "path":
        changed["path"] = data.draw(paths.filter(lambda p: p != path))
    else:
        changed["body"] = data.draw(bodies.filter(lambda b: b != body))
    with pytest.raises(SignatureError, match=SIGNATURE_HEADER):
        verify(changed["secret"], timestamp=str(changed["ts"]), signature=signature,  # type: ignore[arg-type]
               method=changed["method"], path=changed["path"], body=changed["body"],  # type: ignore[arg-type]
               now_epoch=ts)


@pytest.mark.parametrize("skew", [-MAX_SKEW_S + 1, -MAX_SKEW_S, 0, MAX_SKEW_S, MAX_SKEW_S - 1])
def test_timestamps_within_five_minutes_pass(skew: int) -> None:
    check(now=TS + skew)


@pytest.mark.parametrize("skew", [-MAX_SKEW_S - 1, MAX_SKEW_S + 1, MAX_SKEW_S + 0.5, -86_400])
def test_timestamps_further_off_fail(skew: float) -> None:
    with pytest.raises(SignatureError, match=TIMESTAMP_HEADER):
        check(now=TS + skew)


def test_299_and_301_seconds() -> None:
    check(now=TS + 299)
    check(now=TS - 299)
    for now in (TS + 301, TS - 301):
        with pytest.raises(SignatureError, match=TIMESTAMP_HEADER):
            check(now=now)


def test_unknown_hotline_names_the_hotline_header() -> None:
    with pytest.raises(SignatureError, match=HOTLINE_HEADER):
        check(secret=None)


@pytest.mark.parametrize("timestamp", [None, "", "abc", "-5", "1780000000.0", " 1780000000"])
def test_missing_or_malformed_timestamp_names_the_timestamp_header(timestamp: str | None) -> None:
    with pytest.raises(SignatureError, match=TIMESTAMP_HEADER):
        check(timestamp=timestamp)


@pytest.mark.parametrize("signature", ["", "v1=", "v1=" + "0" * 64, "v0=abc", "garbage"])
def test_missing_or_wrong_signature_names_the_signature_header(signature: str) -> None:
    with pytest.raises(SignatureError, match=SIGNATURE_HEADER):
        check(signature=signature)


@pytest.mark.parametrize("timestamp", ["²", "¹⁷⁸", "١٧٨٠٠٠٠٠٠٠", "1780000000\n", "9" * 400])
def test_non_ascii_or_absurd_timestamp_is_a_signature_error(timestamp: str) -> None:
    """Regression: str.isdigit() passed '²', then int() raised ValueError, which
    hotline_intake does not catch (a 500, not a 401)."""
    with pytest.raises(SignatureError, match=TIMESTAMP_HEADER):
        check(timestamp=timestamp)


@pytest.mark.parametrize("signature", ["v1=é", "v1=" + "é" * 64, "v1=\u0000", "v1=\udcff",
                                       "😀", "v1=" + "０" * 64])
def test_a_non_ascii_signature_is_a_signature_error(signature: str) -> None:
    """Regression (issue 10): hmac.compare_digest raised TypeError on a non-ASCII str, and
    hotline_intake answered 500 (and tripped the error alarms) instead of 401."""
    with pytest.raises(SignatureError, match=SIGNATURE_HEADER):
        check(signature=signature)


@PROPERTY
@given(secret=st.one_of(st.none(), st.text(max_size=40)), timestamp=st.one_of(
    st.none(), st.text(max_size=20), timestamps.map(str)), signature=st.one_of(
    st.none(), st.text(max_size=80), st.text(max_size=64).map(lambda s: "v1=" + s)),
    path=st.text(max_size=40), body=st.text(max_size=80))
def test_any_text_headers_verify_or_raise_signature_error(
    secret: str | None, timestamp: str | None, signature: str | None, path: str, body: str,
) -> None:
    """Whatever a caller sends, the verifier says genuine or SignatureError, never
    another exception (a 500)."""
    try:
        verify(secret, timestamp=timestamp, signature=signature, method="POST", path=path,
               body=body, now_epoch=int(timestamp) if timestamp and timestamp.isascii()
               and timestamp.isdigit() and len(timestamp) < 13 else TS)
    except SignatureError:
        pass
