"""Hotline intake: POST /v1/escalations opens an incident; GET /v1/escalations/{id} reads it.

Every request is signed by the hotline (see crisis_pager.domain.signature). The signature
is checked before anything else, so an unsigned request learns nothing, not even
the schema; then Powertools validates the body against the models in intake_api.py, and
the intake use case checks the rest (the severity with the screen, the callback URL).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from intake_api import (
    EscalationAccepted,
    EscalationRequest,
    EscalationView,
    IncidentId,
    TimelineView,
    answer_errors,
    responses,
)

from crisis_pager import bootstrap
from crisis_pager.service import intake

logger = Logger()
metrics = Metrics()


def _json_body(text: str) -> Any:
    """json.loads, with a body nested too deeply for the parser (``[[[[...]]]]``) read as
    the invalid JSON it is (a 422 naming it), not a RecursionError (a 500)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text[:0], 0) from None


app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=_json_body)
answer_errors(app)


@app.post("/v1/escalations", summary="Report a crisis", responses=responses(
    401, 409, 422, ok=(202, EscalationAccepted, "the incident is open and its ladder is running")))
def post_escalation(body: EscalationRequest) -> Response[EscalationAccepted]:
    p = bootstrap.ports()
    opened = intake.open_incident(
        intake.OpenEscalation(
            hotline_id=app.context["hotline_id"], event_id=body.event_id,
            program_id=body.program_id, severity=body.severity,
            participant_ref=body.participant_ref, summary=body.summary,
            callback_url=body.callback_url, screener=body.screener),
        incidents=p.incidents, timeline=p.timeline, directory=p.directory, ladder=p.ladder,
        clock=p.clock, allow_http_loopback=p.settings.callback_allow_http_loopback)
    incident = opened.incident
    logger.set_correlation_id(incident.incident_id)
    logger.info("escalation received", extra={"new_incident": opened.created,
                                              "severity": incident.severity.value,
                                              "program_id": incident.program_id})
    if opened.created:
        metrics.add_metric(name="IncidentsOpened", unit=MetricUnit.Count, value=1)
    if opened.program_problems:
        logger.warning("program item has malformed fields; paged with their defaults",
                       extra={"problems": list(opened.program_problems)})
        metrics.add_metric(name="ProgramDefaultsUsed", unit=MetricUnit.Count, value=1)
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON,
                    body=EscalationAccepted(incident_id=incident.incident_id, code=incident.code,
                                            status=incident.status.value, created=opened.created))


@app.get("/v1/escalations/<incident_id>", summary="Read an incident's status",
         responses=responses(401, 404, 422, ok=(200, EscalationView, "the incident's status")))
def get_escalation(incident_id: IncidentId) -> EscalationView:
    logger.set_correlation_id(incident_id)
    view = intake.incident_view(incident_id, app.context["hotline_id"],
                                incidents=bootstrap.incidents(), directory=bootstrap.directory())
    return EscalationView.model_validate(view)


@app.get("/v1/escalations/<incident_id>/timeline",
         summary="Read an incident's timeline (the audit trail)",
         responses=responses(401, 404, 422, ok=(200, TimelineView, "every entry, oldest first")))
def get_escalation_timeline(incident_id: IncidentId) -> TimelineView:
    logger.set_correlation_id(incident_id)
    entries = intake.incident_timeline(incident_id, app.context["hotline_id"],
                                       incidents=bootstrap.incidents(),
                                       timeline=bootstrap.timeline())
    return TimelineView.model_validate({"incident_id": incident_id, "entries": entries})


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
@bootstrap.hotline_signed(app)  # the signature first: an unsigned request learns nothing
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
