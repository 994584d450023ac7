"""`make serve` over real HTTP: local.serve's front on an ephemeral port, in-process, with
requests signed by local.post_escalation exactly as a hotline (or the operator) signs them."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from local import seed
from local.post_escalation import signed_request
from local.resources import HOTLINE_ID
from local.serve import make_server, reply
from local.stack import LocalStack


@pytest.fixture
def served() -> Iterator[tuple[LocalStack, str]]:
    with LocalStack(scale=0.002) as stack:
        seed.seed(stack)
        server = make_server(stack, port=0)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            host, port = server.server_address[:2]
            assert host == "127.0.0.1"
            yield stack, f"http://{host}:{port}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def escalation(event_id: str) -> str:
    return json.dumps({
        "program_id": seed.PROGRAM_ID, "severity": "high", "participant_ref": "p-7f3a9c",
        "event_id": event_id, "summary": "Caller reports active thoughts of self-harm.",
    })


def test_signed_post_opens_an_incident_and_pages_the_primary(
    served: tuple[LocalStack, str],
) -> None:
    stack, url = served
    status, body = signed_request(url, "POST", "/v1/escalations", escalation("evt-http-1"),
                                  hotline_id=HOTLINE_ID, secret=stack.hotline_secret)
    assert status == 202, body
    opened = json.loads(body)
    assert opened["incident_id"].startswith("inc_")
    assert opened["created"] is True

    primary = seed.phone_of("clin-ana")
    page = stack.twilio.wait_for(
        lambda t: [m for m in t.messages if m.to == primary and m.carries(opened["code"])],
        timeout=10)
    assert page
    assert "p-7f3a9c" not in page[0].body


def test_unsigned_post_is_refused(served: tuple[LocalStack, str]) -> None:
    stack, url = served
    request = urllib.request.Request(
        url + "/v1/escalations", method="POST", data=escalation("evt-http-2").encode(),
        headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert json.loads(refused.value.read())["error"] == "unauthorized"
    assert stack.twilio.messages == []


def test_signed_get_reads_the_incident(served: tuple[LocalStack, str]) -> None:
    stack, url = served
    status, body = signed_request(url, "POST", "/v1/escalations", escalation("evt-http-3"),
                                  hotline_id=HOTLINE_ID, secret=stack.hotline_secret)
    assert status == 202, body
    incident_id = json.loads(body)["incident_id"]

    status, body = signed_request(url, "GET", f"/v1/escalations/{incident_id}", "",
                                  hotline_id=HOTLINE_ID, secret=stack.hotline_secret)
    assert status == 200, body
    view = json.loads(body)
    assert view["incident_id"] == incident_id
    assert view["program_id"] == seed.PROGRAM_ID
    assert view["status"] == "triggered"


def test_unknown_path_is_404(served: tuple[LocalStack, str]) -> None:
    _, url = served
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(url + "/nowhere", timeout=10)
    assert missing.value.code == 404


def test_operator_reply_accepts_as_the_clinician(served: tuple[LocalStack, str]) -> None:
    stack, url = served
    status, body = signed_request(url, "POST", "/v1/escalations", escalation("evt-http-4"),
                                  hotline_id=HOTLINE_ID, secret=stack.hotline_secret)
    assert status == 202, body
    code = json.loads(body)["code"]
    primary = seed.phone_of("clin-ana")
    stack.twilio.wait_for(lambda t: [m for m in t.messages if m.to == primary], timeout=10)

    assert "Accepted" in reply(stack, f"clin-ana A {code}")
    assert reply(stack, "nobody A 1").startswith("usage:")
