"""Page one rung (an SMS asking for delivery reports, or a voice call when the clinician
opted out of SMS; the SMS and a voice call at once for a +voice rung). Invoked with
.waitForTaskToken: the ladder waits for an acceptance, a pass or a failed delivery (a
wake-up) until the rung's window runs out."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from crisis_pager import bootstrap
from crisis_pager.service.paging import page_rung

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(correlation_id_path="incident_id", log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    window = event.get("window_s")
    p = bootstrap.ports()
    result = page_rung(
        event["incident_id"],
        int(event["position"]),
        event["target"],
        event["clinician_id"],
        event["task_token"],
        incidents=p.incidents, pages=p.pages, codes=p.codes, timeline=p.timeline,
        directory=p.directory, ladder=p.ladder, clock=p.clock, sms=p.twilio, voice=p.twilio,
        opt_outs=p.opt_outs, alerts=p.alerts,
        window_s=int(window) if window is not None else None,
        call_at_once=event.get("voice", False) is True,  # a +voice rung: SMS and a call
    )
    if result.outcome == "sent":
        metrics.add_metric(name="PagesSent", unit=MetricUnit.Count, value=1)
    elif result.outcome == "called":
        metrics.add_metric(name="PagesCalled", unit=MetricUnit.Count, value=1)
    elif result.outcome == "failed":
        metrics.add_metric(name="PagesFailed", unit=MetricUnit.Count, value=1)
    logger.info("rung paged", extra={"outcome": result.outcome, "position": result.position,
                                     "target": event["target"], "error_code": result.error_code})
    return {"outcome": result.outcome}
