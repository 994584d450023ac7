"""HotlineGateway's signed callbacks against local HTTP servers: only to vetted addresses
(the URL rules themselves are tested in tests/unit/test_domain_callback_url.py)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from crisis_pager.adapters import hotline
from crisis_pager.adapters.hotline import HotlineGateway
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


def gateway(secrets: dict[str, str] | None = None, *, loopback: bool = True) -> HotlineGateway:
    """The local stack's gateway (its receivers are http on loopback) unless loopback=False."""
    return HotlineGateway(lambda: dict({HOTLINE: SECRET} if secrets is None else secrets),
                          allow_http_loopback=loopback)


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
    with pytest.raises(CallbackError, match="refused"):
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


# ------------------------------------------------------------------ vetted addresses


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/cb", "https://127.0.0.1:{port}/cb",
                                 "http://localhost:{port}/cb", "https://[::1]:{port}/cb"])
def test_loopback_is_refused_outside_the_local_stack(receiver: HotlineReceiver,
                                                     url: str) -> None:
    """Regression (issue 10): the callback function connected to any https URL."""
    port = receiver.url.split(":")[2].split("/")[0]
    with pytest.raises(CallbackError) as refused:
        gateway(loopback=False).post(url.format(port=port), HOTLINE, PAYLOAD)
    assert refused.value.permanent and refused.value.code in ("callback_refused",
                                                              "address_not_allowed")
    assert receiver.callbacks == []


def _resolving(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """getaddrinfo answering ``answers`` for these names; returns the names looked up."""
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        looked_up.append(host)
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, int(port))) for a in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return looked_up


@pytest.mark.parametrize("answer", [["10.0.0.7"], ["169.254.169.254"], ["127.0.0.1"],
                                    ["93.184.215.14", "192.168.0.9"], ["::ffff:10.0.0.7"]])
def test_a_name_resolving_to_an_internal_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, answer: list[str],
) -> None:
    looked_up = _resolving(monkeypatch, {"hotline.test": answer})
    connected: list[Any] = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connected.append(a))
    with pytest.raises(CallbackError) as refused:
        gateway(loopback=False).post("https://hotline.test/cb?token=s3cr3t", HOTLINE, PAYLOAD)
    assert refused.value.code == "address_not_allowed" and refused.value.permanent
    assert "s3cr3t" not in str(refused.value)
    assert looked_up == ["hotline.test"] and connected == [], "nothing is connected to"


def test_the_callback_goes_to_the_vetted_address_only(
    monkeypatch: pytest.MonkeyPatch, receiver: HotlineReceiver,
) -> None:
    """The name is resolved once and the socket goes to that address (a second DNS answer,
    a rebinding, is never asked for); the request still names the URL's host."""
    port = int(receiver.url.split(":")[2].split("/")[0])
    looked_up = _resolving(monkeypatch, {"localhost": ["127.0.0.1"]})
    connected: list[tuple[str, int]] = []
    real = socket.create_connection

    def connect(address: tuple[str, int], *args: Any) -> socket.socket:
        connected.append(address)
        return real(address, *args)

    monkeypatch.setattr(socket, "create_connection", connect)
    assert gateway().post(f"http://localhost:{port}/crisis-pager/callbacks", HOTLINE,
                          PAYLOAD) == 200
    assert looked_up == ["localhost"] and connected == [("127.0.0.1", port)]
    (callback,) = receiver.callbacks
    assert callback.verified


@pytest.mark.parametrize("path", ["/cb\r\nX-Injected: 1", "/c b", "/cb\x01"])
def test_a_url_http_client_would_refuse_is_a_callback_error(receiver: HotlineReceiver,
                                                            path: str) -> None:
    """Regression (issue 10): http.client's InvalidURL escaped post (only URLError,
    TimeoutError and OSError were caught), so no callback_failed reached the timeline."""
    url = receiver.url.split("/crisis-pager")[0] + path.encode().decode("unicode_escape")
    with pytest.raises(CallbackError) as refused:
        gateway().post(url, HOTLINE, PAYLOAD)
    assert refused.value.code == "callback_refused"
    assert receiver.callbacks == []


def test_http_client_errors_are_callback_errors(monkeypatch: pytest.MonkeyPatch,
                                                receiver: HotlineReceiver) -> None:
    import http.client

    def invalid(*args: Any, **kwargs: Any) -> None:
        raise http.client.InvalidURL("URL can't contain control characters. '/cb?token=s3cr3t'")

    monkeypatch.setattr(hotline._PinnedConnection, "request", invalid)
    with pytest.raises(CallbackError) as failed:
        gateway().post(receiver.url, HOTLINE, PAYLOAD)
    assert failed.value.code == "unreachable" and not failed.value.permanent
    assert "s3cr3t" not in str(failed.value)
