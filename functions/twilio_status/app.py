"""Twilio's status callbacks for every page's SMS and call (signature-checked).

``POST /twilio/status/{incident_id}/{position}``: the page is in the signed URL. A failed
or undelivered SMS for the rung the ladder waits on starts the voice call at once; a call
that ends with nobody accepting or passing moves the ladder on at once. Duplicates and
replays are acknowledged and change nothing.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from crisis_pager import bootstrap
from crisis_pager.domain.incident import page_position
from crisis_pager.service.delivery import StatusReport, handle_status

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver()
bootstrap.twilio_webhook(app)  # X-Twilio-Signature checked first: 403, nothing changed

FALLBACKS = {"calling": "FallbackCalls", "no_answer": "CallsUnanswered", "failed": "PagesFailed"}


@app.post("/twilio/status/<incident_id>/<position>")
def status(incident_id: str, position: str) -> Response:
    form: dict[str, str] = app.context["twilio_form"]
    rung = page_position(position)
    if rung is None:  # not a URL we give Twilio ("²", "١", "01"): changes nothing
        logger.warning("status callback for a malformed page position")
        return Response(status_code=404, content_type="text/plain", body="no such page")
    logger.set_correlation_id(incident_id)
    report = StatusReport.from_form(form)
    p = bootstrap.ports()
    outcome = handle_status(incident_id, rung, report, incidents=p.incidents, pages=p.pages,
                            voice=p.twilio, timeline=p.timeline, ladder=p.ladder,
                            clock=p.clock, opt_outs=p.opt_outs, directory=p.directory,
                            alerts=p.alerts, sms=p.twilio)
    logger.info("status callback", extra={
        "outcome": outcome, "position": rung,
        "status": report.message_status or report.call_status,
        "error_code": report.error_code, "answered_by": report.answered_by})
    if outcome in FALLBACKS:
        metrics.add_metric(name=FALLBACKS[outcome], unit=MetricUnit.Count, value=1)
    if report.message_status in ("failed", "undelivered") and outcome != "duplicate":
        metrics.add_metric(name="PagesUndelivered", unit=MetricUnit.Count, value=1)
    return Response(status_code=200, content_type="text/plain", body=outcome)


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
