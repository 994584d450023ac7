"""Signed status callbacks to the hotline (accepted, referred). Raising CallbackError
lets the state machine retry with backoff."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from crisis_pager import bootstrap
from crisis_pager.service.referral import notify_hotline

logger = Logger()


@logger.inject_lambda_context(correlation_id_path="incident_id", log_event=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcome = notify_hotline(
        event["incident_id"],
        event["event"],
        incidents=bootstrap.incidents(),
        timeline=bootstrap.timeline(),
        directory=bootstrap.directory(),
        hotline=bootstrap.hotline(),
        clock=bootstrap.clock(),
        participants=bootstrap.participants(),
    )
    logger.info("hotline callback", extra={"event": event["event"], "outcome": outcome})
    return {"outcome": outcome}
