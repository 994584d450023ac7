"""Twilio's inbound SMS webhook: a clinician's reply to a page (A/P/R and a code, HELP,
STATUS, STOP, START).

The X-Twilio-Signature is checked first (403, nothing changed, when it fails), then the
sender: a From that is not an E.164 number (empty, missing) is a 400 that changes nothing
and answers nobody. The reply is answered with TwiML so the clinician always learns what
their reply did.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from crisis_pager import bootstrap
from crisis_pager.domain.program import E164
from crisis_pager.formats import sms_twiml
from crisis_pager.service.replies import handle_sms_reply

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver()
bootstrap.twilio_webhook(app)  # X-Twilio-Signature checked first: 403, nothing changed
TWIML = "application/xml"


@app.post("/twilio/sms")
def sms_reply() -> Response:
    params: dict[str, str] = app.context["twilio_form"]
    sender = params.get("From") or ""
    if not E164.fullmatch(sender):  # empty, missing or not a phone: no write, no answer
        logger.warning("rejected inbound SMS: From is not an E.164 number")  # never the value
        return Response(status_code=400, content_type="text/plain",
                        body="From must be an E.164 phone number")
    p = bootstrap.ports()
    outcome = handle_sms_reply(
        sender, params.get("Body", ""), incidents=p.incidents, pages=p.pages, codes=p.codes,
        follow_ups=p.follow_ups, timeline=p.timeline, directory=p.directory, ladder=p.ladder,
        clock=p.clock, voice=p.twilio, opt_outs=p.opt_outs, alerts=p.alerts, sms=p.twilio,
        links=p.brief_links, base_url=p.public_base_url)
    if outcome.incident_id:
        logger.set_correlation_id(outcome.incident_id)
    logger.info("sms reply", extra={"outcome": outcome.outcome})
    with single_metric(name="Replies", unit=MetricUnit.Count, value=1,
                       default_dimensions=metrics.default_dimensions) as metric:
        metric.add_dimension(name="outcome", value=outcome.outcome)
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
