"""The Hotline port in memory: the callbacks posted."""

from __future__ import annotations

from typing import Any

from crisis_pager.domain.errors import CallbackError


class FakeHotline:
    def __init__(self) -> None:
        self.posted: list[tuple[str, dict[str, Any]]] = []
        self.fail: bool | Exception = False  # True: an HTTP 503; an exception: raised

    def secret_for(self, hotline_id: str) -> str | None:
        return "s3cret" if hotline_id == "hl" else None

    def post(self, url: str, hotline_id: str, payload: dict[str, Any]) -> int:
        if isinstance(self.fail, Exception):
            raise self.fail
        if self.fail:
            raise CallbackError("hotline answered HTTP 503")
        self.posted.append((url, payload))
        return 200

    def recipient(self, hotline_id: str) -> Any:
        from crisis_pager.domain.referral import HotlineRecipient

        return HotlineRecipient(hotline_id, "Metro Crisis Line", "988 Lifeline crisis center")
