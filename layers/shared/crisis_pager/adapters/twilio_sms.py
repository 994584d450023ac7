"""Outbound SMS through the real Twilio client. Only functions that send import this."""

from __future__ import annotations

from typing import Any

from requests.exceptions import RequestException
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ..domain.errors import SmsError

SEND_TIMEOUT_S = 5  # well inside the paging lease (domain.incident.PAGE_LEASE_S)


class TwilioSms:
    def __init__(self, credentials: dict[str, str], http_client: Any = None) -> None:
        # A bounded timeout: an acceptance waits for a page being sent (its lease).
        self._client = Client(
            credentials["account_sid"], credentials["auth_token"],
            http_client=http_client or TwilioHttpClient(timeout=SEND_TIMEOUT_S),
        )
        self._from = credentials.get("from_number") or None
        self._service = credentials.get("messaging_service_sid") or None
        if not (self._from or self._service):
            raise ValueError("Twilio secret needs from_number or messaging_service_sid")

    def send(self, to: str, body: str) -> str:
        kwargs: dict[str, Any] = {"to": to, "body": body}
        if self._service:
            kwargs["messaging_service_sid"] = self._service
        else:
            kwargs["from_"] = self._from
        try:
            message = self._client.messages.create(**kwargs)
        except TwilioRestException as exc:
            raise SmsError(f"Twilio refused the SMS: {exc.msg}", exc.code) from None
        except (TwilioException, RequestException) as exc:
            # Network failures surface from the HTTP transport (requests), not from Twilio.
            raise SmsError(f"Twilio did not take the SMS: {type(exc).__name__}") from None
        return str(message.sid)
