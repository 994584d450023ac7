"""The timeline guard: the timeline table's stream (every change of an entry) in; any change
that is not an added entry or DynamoDB's own TTL expiry (an overwrite or a delete, by
anyone, at the console too) is counted (TimelineTampered, alarmed), logged and published to
the alerts topic, naming the incident id and entry key only, never the entry's content.

Only the records' keys and userIdentity are read. A failed alert fails the invocation after
the metric and the log line, so the stream retries the batch (alerts are at least once).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from crisis_pager import bootstrap
from crisis_pager.formats import timeline_change_from_stream
from crisis_pager.service.audit import guard_timeline

logger = Logger()
metrics = Metrics()


class TamperAlertFailed(RuntimeError):
    """The alert could not be published; failing the invocation makes the stream retry."""


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" not in event:
        raise ValueError("not a DynamoDB stream batch")
    changes = [timeline_change_from_stream(r) for r in event["Records"]]
    run = guard_timeline(changes, alerts=bootstrap.alerts())
    metrics.add_metric(name="TimelineTampered", unit=MetricUnit.Count, value=len(run.tampered))
    for found in run.tampered:
        logger.error("timeline entry tampered", extra={
            "incident_id": found.change.incident_id, "entry": found.change.seq,
            "change": found.what})
    if run.alert_failed:
        logger.error("tamper alert not published", extra={"error": run.alert_failed})
        raise TamperAlertFailed(f"alert not published ({run.alert_failed}); see the log")
    return {"checked": run.checked, "tampered": len(run.tampered)}
