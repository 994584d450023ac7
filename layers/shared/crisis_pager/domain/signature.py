"""The hotline's request signature: HMAC-SHA256 over the timestamp, method, path and
raw body, with the hotline's shared secret. Stripe-style ``v1=<hex>`` header value.

    message   = f"{timestamp}.{METHOD}.{path}.{raw_body}"
    signature = "v1=" + hex(hmac_sha256(secret, message))

The same scheme signs our status callbacks to the hotline (method POST, the path of
its callback URL).
"""

from __future__ import annotations

import hashlib
import hmac
import re

MAX_SKEW_S = 300
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")
HOTLINE_HEADER = "X-CrisisPager-Hotline"
TIMESTAMP_HEADER = "X-CrisisPager-Timestamp"
SIGNATURE_HEADER = "X-CrisisPager-Signature"


class SignatureError(Exception):
    """The request is not genuinely from the hotline; the message says why."""


def sign(secret: str, timestamp: int, method: str, path: str, body: str) -> str:
    message = f"{timestamp}.{method.upper()}.{path}.{body}".encode()
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str | None,
    *,
    timestamp: str | None,
    signature: str | None,
    method: str,
    path: str,
    body: str,
    now_epoch: float,
) -> None:
    """Raise SignatureError naming what is wrong; return None when the request is genuine."""
    if secret is None:
        raise SignatureError(f"unknown hotline; send the {HOTLINE_HEADER} header you were given")
    if not timestamp or not _UNIX_SECONDS.fullmatch(timestamp):
        raise SignatureError(f"{TIMESTAMP_HEADER} must be Unix seconds")
    if abs(now_epoch - int(timestamp)) > MAX_SKEW_S:
        raise SignatureError(
            f"{TIMESTAMP_HEADER} is more than {MAX_SKEW_S // 60} minutes from our clock"
        )
    if not signature:
        raise SignatureError(f"{SIGNATURE_HEADER} is missing")
    expected = sign(secret, int(timestamp), method, path, body)
    # compare bytes: compare_digest raises TypeError on a str that is not ASCII (v1=é)
    if not hmac.compare_digest(expected.encode(),
                               signature.strip().encode("utf-8", "surrogateescape")):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the request")


def signed_headers(
    hotline_id: str, secret: str, timestamp: int, method: str, path: str, body: str
) -> dict[str, str]:
    return {
        HOTLINE_HEADER: hotline_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, method, path, body),
    }
