"""The ladder's decision step: read the incident (the truth) and say what happens next."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from crisis_pager import bootstrap
from crisis_pager.service.ladder import advance

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(correlation_id_path="incident_id", log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = advance(
        event["incident_id"],
        int(event["position"]),
        event["ladder"]["rungs"],
        incidents=bootstrap.incidents(),
        timeline=bootstrap.timeline(),
        directory=bootstrap.directory(),
        alerts=bootstrap.alerts(),
        clock=bootstrap.clock(),
        step=event.get("step"),
    )
    if step.skipped:
        metrics.add_metric(name="RungsSkipped", unit=MetricUnit.Count, value=len(step.skipped))
        logger.warning("rungs skipped: nobody on call", extra={"targets": list(step.skipped)})
    if step.action == "exhausted":
        metrics.add_metric(name="LaddersExhausted", unit=MetricUnit.Count, value=1)
    logger.info("ladder step", extra={"action": step.action, "position": step.position,
                                      "target": step.rung.target if step.rung else None,
                                      "wait_s": step.wait_s})
    return step.to_output()
