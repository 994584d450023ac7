"""HotlineGateway's signed callbacks against local HTTP servers, and callback_url_problem."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from crisis_pager.adapters import hotline
from crisis_pager.adapters.hotline import HotlineGateway, callback_url_problem
from crisis_pager.domain import signature
from crisis_pager.domain.errors import CallbackError
from local.hotline_receiver import HotlineReceiver

HOTLINE = "hl-west"
SECRET = "whsec-7c1f0a9e55d2"
PAYLOAD = {"event": "accepted", "incident_id": "inc_a", "event_id": "evt-1",
           "program_id": "west-iop", "code": "417", "status": "accepted",
           "accepted": {"clinician_id": "clin-ana", "name": "Ana Alvarez",
                        "seconds_to_accept": 94}}


@pytest.fixture
def receiver() -> Iterator[HotlineReceiver]:
    r = HotlineReceiver({HOTLINE: SECRET}).start()
    yield r
    r.stop()


def gateway(secrets: dict[str, str] | None = None) -> HotlineGateway:
    return HotlineGateway(lambda: dict({HOTLINE: SECRET} if secrets is None else secrets))


# ------------------------------------------------------------------ post


def test_a_callback_arrives_signed_and_verified(receiver: HotlineReceiver) -> None:
    assert gateway().post(receiver.url, HOTLINE, PAYLOAD) == 200
    (callback,) = receiver.callbacks
    assert callback.verified is True
    assert callback.hotline_id == HOTLINE
    assert callback.payload == PAYLOAD


def test_a_callback_signed_with_another_secret_is_refused(receiver: HotlineReceiver) -> None:
    with pytest.raises(CallbackError, match="HTTP 401"):
        gateway({HOTLINE: "not-the-shared-secret"}).post(receiver.url, HOTLINE, PAYLOAD)
    assert [c.verified for c in receiver.callbacks] == [False]


def test_a_non_2xx_answer_raises_callback_error() -> None:
    r = HotlineReceiver({HOTLINE: SECRET}, fail_first=1).start()
    try:
        with pytest.raises(CallbackError, match="HTTP 503"):
            gateway().post(r.url, HOTLINE, PAYLOAD)
        assert r.callbacks == []
        assert gateway().post(r.url, HOTLINE, PAYLOAD) == 200  # the retry gets through
        assert [c.verified for c in r.callbacks] == [True]
    finally:
        r.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_an_unreachable_port_raises_callback_error() -> None:
    url = f"http://127.0.0.1:{_free_port()}/crisis-pager/callbacks"
    with pytest.raises(CallbackError, match="unreachable"):
        gateway().post(url, HOTLINE, PAYLOAD)


def test_a_hotline_that_never_answers_raises_callback_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hotline, "CALLBACK_TIMEOUT_S", 0.3)
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/cb"
        with pytest.raises(CallbackError, match="unreachable"):
            gateway().post(url, HOTLINE, PAYLOAD)


@pytest.mark.parametrize("secrets", [{}, {"hl-east": SECRET}, {HOTLINE: ""}])
def test_an_unknown_hotline_raises_callback_error_and_posts_nothing(
    receiver: HotlineReceiver, secrets: dict[str, str]
) -> None:
    with pytest.raises(CallbackError, match=HOTLINE):
        gateway(secrets).post(receiver.url, HOTLINE, PAYLOAD)
    assert receiver.callbacks == []


def test_a_non_http_scheme_raises_callback_error(tmp_path: Any) -> None:
    target = tmp_path / "callback.json"
    target.write_text("{}")
    with pytest.raises(CallbackError, match="scheme"):
        gateway().post(target.as_uri(), HOTLINE, PAYLOAD)


def test_secret_for() -> None:
    g = gateway({HOTLINE: SECRET, "hl-empty": ""})
    assert g.secret_for(HOTLINE) == SECRET
    assert g.secret_for("hl-empty") is None
    assert g.secret_for("hl-nobody") is None


class _Redirecting:
    """POST answers 302 to another path; GET there answers 200. Records every request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.requests.append((self.command, self.path, dict(self.headers)))

            def do_POST(self) -> None:  # noqa: N802
                self._record()
                self.send_response(302)
                self.send_header("Location", "/moved")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:  # noqa: N802
                self._record()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cb"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_redirect_is_not_a_delivered_callback() -> None:
    server = _Redirecting()
    try:
        with pytest.raises(CallbackError):
            gateway().post(server.url, HOTLINE, PAYLOAD)
    finally:
        server.stop()
    assert [(method, path) for method, path, _ in server.requests] == [("POST", "/cb")]


def test_the_signature_covers_the_callback_path_and_body(receiver: HotlineReceiver) -> None:
    """Checked independently of the receiver: recompute the HMAC from what arrived."""
    seen: list[tuple[str, str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            seen.append((self.path, body, self.headers))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks/crisis"
        assert gateway().post(url, HOTLINE, PAYLOAD) == 204
    finally:
        server.shutdown()
        server.server_close()
    ((path, body, headers),) = seen
    assert headers["Content-Type"] == "application/json"
    assert headers[signature.HOTLINE_HEADER] == HOTLINE
    timestamp = int(headers[signature.TIMESTAMP_HEADER])
    assert headers[signature.SIGNATURE_HEADER] == signature.sign(
        SECRET, timestamp, "POST", "/hooks/crisis", body)
    assert headers[signature.SIGNATURE_HEADER] != signature.sign(
        SECRET, timestamp, "POST", "/hooks/other", body)


# ------------------------------------------------------------------ callback_url_problem


@pytest.mark.parametrize("url", [
    "https://hotline.example/crisis-pager/callbacks",
    "https://hotline.example:8443/cb?tenant=7",
    "HTTPS://Hotline.Example/cb",
])
@pytest.mark.parametrize("allow", [False, True])
def test_https_is_accepted(url: str, allow: bool) -> None:
    assert callback_url_problem(url, allow_http_loopback=allow) is None


@pytest.mark.parametrize("url", [
    "http://hotline.example/cb",
    "http://10.0.0.7/cb",
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1.nip.io/cb",
    "http://127.0.0.1@hotline.example/cb",  # userinfo: the host is hotline.example
    "ftp://hotline.example/cb",
])
@pytest.mark.parametrize("allow", [False, True])
def test_http_to_a_non_loopback_host_is_rejected(url: str, allow: bool) -> None:
    assert callback_url_problem(url, allow_http_loopback=allow) == "callback_url must use https"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8765/crisis-pager/callbacks",
    "http://localhost:8765/cb",
    "http://[::1]:8765/cb",
])
def test_http_loopback_only_when_allowed(url: str) -> None:
    assert callback_url_problem(url, allow_http_loopback=True) is None
    assert callback_url_problem(url, allow_http_loopback=False) == "callback_url must use https"


@pytest.mark.parametrize("url", ["", "hotline.example/cb", "/crisis-pager/callbacks",
                                 "https:///cb"])
def test_a_relative_url_is_rejected(url: str) -> None:
    assert callback_url_problem(url, allow_http_loopback=True) == (
        "callback_url must be an absolute URL")
