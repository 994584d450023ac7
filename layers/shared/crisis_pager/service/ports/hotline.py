"""The Hotline port: signed callbacks to the hotline that opened an incident."""

from __future__ import annotations

from typing import Any, Protocol

from ...domain.referral import HotlineRecipient


class Hotline(Protocol):
    def secret_for(self, hotline_id: str) -> str | None: ...

    def post(self, url: str, hotline_id: str, payload: dict[str, Any]) -> int:
        """POST a signed JSON callback; return the HTTP status. Raises CallbackError."""
        ...

    def recipient(self, hotline_id: str) -> HotlineRecipient:
        """Who receives the hotline's callbacks (name, affiliation): a disclosure names them."""
        ...
