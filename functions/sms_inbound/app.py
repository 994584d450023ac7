"""Twilio's inbound SMS webhook: a clinician's reply to a page.

The X-Twilio-Signature is checked first (403, nothing changed, when it fails). The
reply is answered with TwiML so the clinician always learns what their reply did.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from crisis_pager import bootstrap
from crisis_pager.adapters.twilio_webhook import sms_twiml
from crisis_pager.config import settings
from crisis_pager.service.replies import handle_sms_reply

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver()
TWIML = "application/xml"


def public_url() -> str:
    """The URL Twilio posted to, exactly as Twilio signed it."""
    event = app.current_event
    base = settings().public_base_url
    if base:
        return base + event.path
    host = event.headers.get("Host") or ""
    return f"https://{host}{event.request_context.path}"


@app.post("/twilio/sms")
def sms_reply() -> Response:
    params = dict(parse_qsl(app.current_event.decoded_body or "", keep_blank_values=True))
    signed = app.current_event.headers.get("X-Twilio-Signature")
    if not bootstrap.twilio_signature().valid(public_url(), params, signed):
        logger.warning("rejected inbound SMS: bad Twilio signature")
        return Response(status_code=403, content_type="text/plain", body="invalid signature")

    outcome = handle_sms_reply(
        params.get("From", ""),
        params.get("Body", ""),
        incidents=bootstrap.incidents(),
        timeline=bootstrap.timeline(),
        directory=bootstrap.directory(),
        ladder=bootstrap.ladder(),
        clock=bootstrap.clock(),
    )
    if outcome.incident_id:
        logger.set_correlation_id(outcome.incident_id)
    logger.info("sms reply", extra={"outcome": outcome.outcome})
    if outcome.outcome == "accepted":
        metrics.add_metric(name="Acceptances", unit=MetricUnit.Count, value=1)
        if outcome.seconds_to_accept is not None:
            metrics.add_metric(name="SecondsToAcceptance", unit=MetricUnit.Seconds,
                               value=outcome.seconds_to_accept)
        if outcome.position is not None:
            metrics.add_metric(name="HighestRung", unit=MetricUnit.Count, value=outcome.position)
    return Response(status_code=200, content_type=TWIML, body=sms_twiml(outcome.answer))


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
