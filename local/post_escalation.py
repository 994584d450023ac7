"""Post a crisis to `make serve` signed exactly as a hotline signs it, and print the answer.

    export CRISIS_PAGER_HOTLINE_SECRET=<the secret `make serve` printed>
    .venv/bin/python -m local.post_escalation --severity high [--callback-url URL]
    .venv/bin/python -m local.post_escalation --get inc_...     # read an incident's status

The signature (what a hotline integrator implements):
    message = f"{timestamp}.{METHOD}.{path}.{raw body}"
    X-CrisisPager-Signature: "v1=" + hex(HMAC-SHA256(shared secret, message))
with X-CrisisPager-Hotline (our id for the hotline) and X-CrisisPager-Timestamp (Unix seconds).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8787"
DEFAULT_HOTLINE = "demo-hotline"


def signed_request(base_url: str, method: str, path: str, body: str, *, hotline_id: str,
                   secret: str, timeout: float = 10.0) -> tuple[int, str]:
    """Send one signed request; returns (HTTP status, response body)."""
    timestamp = int(time.time())
    message = f"{timestamp}.{method.upper()}.{path}.{body}".encode()
    sig = "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        base_url.rstrip("/") + path, method=method.upper(), data=body.encode() or None,
        headers={"Content-Type": "application/json", "X-CrisisPager-Hotline": hotline_id,
                 "X-CrisisPager-Timestamp": str(timestamp), "X-CrisisPager-Signature": sig},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.post_escalation",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL, help="default %(default)s")
    parser.add_argument("--secret", default=os.environ.get("CRISIS_PAGER_HOTLINE_SECRET"),
                        help="the shared secret (default: $CRISIS_PAGER_HOTLINE_SECRET)")
    parser.add_argument("--hotline", default=DEFAULT_HOTLINE, help="default %(default)s")
    parser.add_argument("--program", default="west-iop", help="default %(default)s")
    parser.add_argument("--severity", default="high",
                        choices=["imminent", "high", "moderate", "low"])
    parser.add_argument("--participant-ref", default="p-" + secrets.token_hex(3))
    parser.add_argument("--event-id", default="cli-" + secrets.token_hex(6),
                        help="repeat one to see an idempotent retry")
    parser.add_argument("--callback-url", help="where signed status callbacks go")
    parser.add_argument("--summary", default="Caller in acute distress; safety plan tried.")
    parser.add_argument("--get", metavar="INCIDENT_ID", help="read an incident instead")
    args = parser.parse_args(argv)
    if not args.secret:
        parser.error("pass --secret or set CRISIS_PAGER_HOTLINE_SECRET (`make serve` prints it)")

    if args.get:
        method, path, body = "GET", f"/v1/escalations/{args.get}", ""
    else:
        payload = {"program_id": args.program, "severity": args.severity,
                   "participant_ref": args.participant_ref, "event_id": args.event_id,
                   "summary": args.summary}
        if args.callback_url:
            payload["callback_url"] = args.callback_url
        method, path, body = "POST", "/v1/escalations", json.dumps(payload)
    try:
        status, text = signed_request(args.url, method, path, body,
                                      hotline_id=args.hotline, secret=args.secret)
    except urllib.error.URLError as err:
        print(f"cannot reach {args.url}: {err.reason} (is `make serve` running?)",
              file=sys.stderr)
        return 1
    try:
        text = json.dumps(json.loads(text), indent=2)
    except ValueError:
        pass
    print(f"HTTP {status}\n{text}")
    return 0 if 200 <= status < 300 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
