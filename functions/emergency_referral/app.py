"""The last rung: the local emergency referral for the hotline's warm handoff."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from crisis_pager import bootstrap
from crisis_pager.service.referral import refer

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(correlation_id_path="incident_id", log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = refer(
        event["incident_id"],
        int(event["position"]),
        incidents=bootstrap.incidents(),
        timeline=bootstrap.timeline(),
        directory=bootstrap.directory(),
        alerts=bootstrap.alerts(),
        clock=bootstrap.clock(),
        participants=bootstrap.participants(),
        sms=bootstrap.lazy_sms(),  # Twilio only if a support person is texted
    )
    if result.referred:
        metrics.add_metric(name="ReferralsMade", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="HighestRung", unit=MetricUnit.Count, value=result.position)
    if result.support_notified:
        metrics.add_metric(name="SupportPersonsNotified", unit=MetricUnit.Count,
                           value=result.support_notified)
    logger.info("referral step", extra={"referred": result.referred,
                                        "support_notified": result.support_notified})
    return {"referred": result.referred}
