"""The rota guard: every edit of the programs and clinicians tables (DynamoDB streams) and a
daily run re-check the affected programs' next 14 days, and alert their admins (SMS and
the alerts topic) about invalid items, gaps and one person on two adjacent rungs.

Stream images carry rota members and phone numbers: only the records' keys are read, and
the logs name programs and counts, never clinicians or numbers. A program whose check
fails does not stop the others; the invocation then fails so the stream retries the batch
(and the errors alarm sees it). Alerts are at least once: a retried batch alerts again for
the programs it had already alerted about.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from crisis_pager import bootstrap
from crisis_pager.formats import edit_from_stream
from crisis_pager.service.ports.messaging import Sms
from crisis_pager.service.rotas import DAILY_CHECK, guard, programs_edited

logger = Logger()
metrics = Metrics()


class RotaGuardFailed(RuntimeError):
    """Some programs could not be checked; failing the invocation makes the stream retry."""


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    directory = bootstrap.directory()
    if event.get("detail-type") == "Scheduled Event":
        causes = dict.fromkeys(directory.program_ids(), DAILY_CHECK)
    elif "Records" in event:
        edits = [e for e in map(edit_from_stream, event["Records"]) if e is not None]
        causes = programs_edited(edits, index=directory)
    else:
        raise ValueError("not a DynamoDB stream batch nor a scheduled event")
    run = guard(causes, directory=directory, clock=bootstrap.clock(), alerts=bootstrap.alerts(),
                sms=_sms)
    metrics.add_metric(name="RotaChecks", unit=MetricUnit.Count, value=len(run.checked))
    metrics.add_metric(name="RotaProblems", unit=MetricUnit.Count, value=run.problem_count)
    # Program ids and counts only: a cause may name a clinician (a rota member).
    logger.info("rotas checked", extra={"programs": list(causes), "problems": run.problems,
                                        "texts_sent": run.texts_sent})
    if run.failed:
        # The error type only: a message might quote an item's values.
        logger.error("rota checks failed", extra={"failed": run.failed})
        raise RotaGuardFailed(f"could not check {sorted(run.failed)}; see the log")
    return run.as_dict()


def _sms() -> Sms | None:
    """Twilio, built on the first text due; None (e-mail alerts only) when it cannot be, e.g.
    before the Twilio secret is filled in."""
    try:
        sms: Sms = bootstrap.sms()
        return sms
    except Exception as exc:  # noqa: BLE001 - an SMS outage must not stop the e-mail alert
        logger.warning("SMS unavailable for admin alerts", extra={"error": type(exc).__name__})
        return None
