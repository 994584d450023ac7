"""Inbound Twilio webhooks: the signature check and TwiML (their paths are the domain's,
domain/incident.py). Light imports only (no twilio.rest), so the webhook functions start
fast."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse


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


GATHER_TIMEOUT_S = 8


def voice_twiml(say: list[str], *, gather: str | None = None, gather_url: str | None = None,
                then: list[str] | None = None, redirect_url: str | None = None) -> str:
    """Say each text; with ``gather``, read it while listening for one key that is posted
    to ``gather_url``; with no key, say ``then`` and hang up (or redirect)."""
    response = VoiceResponse()
    for text in say:
        response.say(text, language="en-US")
    if gather is not None:
        listen = response.gather(num_digits=1, action=gather_url, method="POST",
                                 timeout=GATHER_TIMEOUT_S, action_on_empty_result=False)
        listen.say(gather, language="en-US")
    for text in then or []:
        response.say(text, language="en-US")
    if redirect_url:
        response.redirect(redirect_url, method="POST")
    else:
        response.hangup()
    return str(response)


def webhook_url(base_url: str, path: str, host: str, stage_path: str) -> str:
    """The URL Twilio posted to, exactly as Twilio signed it: the configured public base
    plus the resource path, else API Gateway's own host and stage path."""
    if base_url:
        return base_url + path
    return f"https://{host}{stage_path}"


def verified_form(signature: TwilioSignature, url: str, body: str,
                  signed: str | None) -> dict[str, str] | None:
    """The posted form if its X-Twilio-Signature is valid for ``url``; else None."""
    params = dict(parse_qsl(body or "", keep_blank_values=True))
    return params if signature.valid(url, params, signed) else None


def signed_request(event: Any, signature: TwilioSignature,
                   base_url: str) -> tuple[dict[str, str] | None, str]:
    """(the form if Twilio signed this API Gateway request, else None; the public base URL
    the request came to, for the URLs of the TwiML it is answered with)."""
    url = webhook_url(base_url, event.path, event.headers.get("Host") or "",
                      event.request_context.path)
    form = verified_form(signature, url, event.decoded_body or "",
                         event.headers.get("X-Twilio-Signature"))
    return form, url.removesuffix(event.path)


# ---------------------------------------------------------------- one check for every webhook


class UnsignedTwilioRequest(Exception):
    """The request does not carry Twilio's valid X-Twilio-Signature for our auth token."""


def install(app: Any, signature: Callable[[], TwilioSignature],
            base_url: Callable[[], str]) -> None:
    """Check X-Twilio-Signature before every route of ``app`` (a Powertools resolver): a
    request Twilio did not sign is a plain 403 that reads and changes nothing. A route
    reads the verified form as ``app.context["twilio_form"]`` and the public base URL the
    request came to (for the URLs in its TwiML) as ``app.context["twilio_base"]``."""
    from aws_lambda_powertools.event_handler import Response

    def verified(router: Any, next_middleware: Callable[[Any], Any]) -> Any:
        form, base = signed_request(router.current_event, signature(), base_url())
        if form is None:
            raise UnsignedTwilioRequest
        router.append_context(twilio_form=form, twilio_base=base)
        return next_middleware(router)

    def refused(exc: UnsignedTwilioRequest) -> Any:
        logging.getLogger("crisis-pager").warning(
            "rejected Twilio webhook: bad signature", extra={"path": app.current_event.path})
        return Response(status_code=403, content_type="text/plain", body="invalid signature")

    app.use(middlewares=[verified])
    app.exception_handler(UnsignedTwilioRequest)(refused)
