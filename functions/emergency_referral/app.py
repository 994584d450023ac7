"""The last rung: the local emergency referral for the hotline's warm handoff; and, once
the hotline has it, the texts to the participant's consenting support persons."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from crisis_pager import bootstrap
from crisis_pager.service.referral import notify_support, refer

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(correlation_id_path="incident_id", log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("notify") == "support_persons":
        notified = notify_support(
            event["incident_id"], incidents=bootstrap.incidents(),
            timeline=bootstrap.timeline(), directory=bootstrap.directory(),
            clock=bootstrap.clock(), participants=bootstrap.participants(),
            sms=bootstrap.lazy_sms(),
        )
        if notified:
            metrics.add_metric(name="SupportPersonsNotified", unit=MetricUnit.Count,
                               value=notified)
        logger.info("support persons step", extra={"support_notified": notified})
        return {"notified": notified}
    result = refer(
        event["incident_id"],
        int(event["position"]),
        incidents=bootstrap.incidents(),
        timeline=bootstrap.timeline(),
        directory=bootstrap.directory(),
        alerts=bootstrap.alerts(),
        clock=bootstrap.clock(),
        participants=bootstrap.participants(),
        sms=None,  # the support persons are texted in a later step (notify=support_persons)
    )
    if result.referred:
        metrics.add_metric(name="ReferralsMade", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="HighestRung", unit=MetricUnit.Count, value=result.position)
    logger.info("referral step", extra={"referred": result.referred})
    return {"referred": result.referred}
