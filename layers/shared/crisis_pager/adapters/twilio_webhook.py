"""Inbound Twilio webhooks: signature check and TwiML. Light imports only (no twilio.rest)."""

from __future__ import annotations

from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse


class TwilioSignature:
    def __init__(self, auth_token: str) -> None:
        self._validator = RequestValidator(auth_token)

    def valid(self, url: str, params: dict[str, str], signature: str | None) -> bool:
        return bool(signature) and self._validator.validate(url, params, signature)


def sms_twiml(answer: str | None) -> str:
    response = MessagingResponse()
    if answer:
        response.message(answer)
    return str(response)
