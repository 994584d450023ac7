"""A stand-in hotline: an HTTP server on 127.0.0.1 that receives crisis-pager's status
callbacks, verifies their signatures exactly as a hotline integrator would, and keeps them."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from crisis_pager.domain import signature


@dataclass(frozen=True)
class Callback:
    received_at: float
    hotline_id: str
    verified: bool
    payload: dict[str, Any]


class HotlineReceiver:
    def __init__(self, secrets: dict[str, str], fail_first: int = 0) -> None:
        self._secrets = secrets
        self._lock = threading.Lock()
        self.callbacks: list[Callback] = []
        self.fail_first = fail_first  # answer 503 this many times first (retry tests)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                hotline_id = self.headers.get(signature.HOTLINE_HEADER, "")
                try:
                    signature.verify(
                        receiver._secrets.get(hotline_id),
                        timestamp=self.headers.get(signature.TIMESTAMP_HEADER),
                        signature=self.headers.get(signature.SIGNATURE_HEADER),
                        method="POST", path=self.path, body=body, now_epoch=time.time(),
                    )
                    verified = True
                except signature.SignatureError:
                    verified = False
                with receiver._lock:
                    if receiver.fail_first > 0:
                        receiver.fail_first -= 1
                        status = 503
                    else:
                        status = 200 if verified else 401
                        receiver.callbacks.append(
                            Callback(time.time(), hotline_id, verified, json.loads(body or "{}"))
                        )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/crisis-pager/callbacks"

    def start(self) -> HotlineReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        # shutdown() waits for serve_forever to end: forever, if it never started (a local
        # stack whose set-up failed before the receiver started).
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def events(self, incident_id: str) -> list[str]:
        with self._lock:
            return [c.payload.get("event", "") for c in self.callbacks
                    if c.payload.get("incident_id") == incident_id]
