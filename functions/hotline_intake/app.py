"""Hotline intake: POST /v1/escalations opens an incident; GET /v1/escalations/{id} reads it.

Every request is signed by the hotline (see crisis_pager.domain.signature). The signature
is checked before anything else, so an unsigned request learns nothing, not even
the schema; then Powertools validates the body against the pydantic models below.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, model_validator

from crisis_pager import bootstrap
from crisis_pager.config import settings
from crisis_pager.domain import signature
from crisis_pager.domain.callback_url import callback_url_problem
from crisis_pager.domain.incident import Severity
from crisis_pager.domain.screener import screen_from_answers, triage
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
IncidentId = Annotated[str, Path(pattern=r"^inc_[a-z2-7]{24}$")]  # domain/incident.py's ids


class EscalationRequest(BaseModel):
    """A crisis reported by a hotline or monitoring system."""

    model_config = ConfigDict(extra="forbid")

    program_id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$",
                                     description="The IOP program, e.g. west-iop")]
    severity: Annotated[Severity | None, Field(
        description="imminent, high, moderate or low. May be left out when screener is "
                    "sent; with a screener, the more urgent of the two is used (imminent "
                    "always wins)")] = None
    screener: Annotated[dict[str, bool] | None, Field(
        description='C-SSRS screen answers: {"1": .., "2": .., "3": .., "4": .., "5": .., '
                    '"6": .., "6_past_3_months": ..} (true/false; 3-5 only when 2 is true, '
                    "the recency only when 6 is true). Mapped to a severity as the screen's "
                    "triage says; stored encrypted, never texted.")] = None

    @model_validator(mode="after")
    def _severity_or_screener(self) -> EscalationRequest:
        screen = screen_from_answers(self.screener) if self.screener is not None else None
        triage(self.severity, screen)  # raises when neither is given
        return self
    participant_ref: Annotated[str, Field(
        pattern=r"^[A-Za-z0-9_-]{4,64}$",
        description=("Opaque participant id: the participant's id in the program's "
                     "participants table (their safety plan and last confirmed location "
                     "inform the clinician's brief and the local emergency referral). "
                     "Never a name, never texted."))]
    event_id: Annotated[str, Field(
        min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$",
        description="The hotline's own id for this event; a retry sends the same one")]
    callback_url: Annotated[str | None, Field(
        max_length=2048, description=(
            "https URL for signed status callbacks, to a DNS name or a public IP address: "
            "no loopback, private, link-local, multicast or reserved address, no user or "
            "password, no spaces or control characters, ASCII only (checked again, after "
            "resolving the name, before each callback)"))] = None
    summary: Annotated[str, Field(
        min_length=1, max_length=1000,
        description="Short clinical summary. Stored encrypted; never texted or logged.")]


class EscalationAccepted(BaseModel):
    incident_id: str
    code: str = Field(description="The short code clinicians see in their pages")
    status: str
    created: bool = Field(description="false when this post repeated an event already opened")


class RungView(BaseModel):
    position: int
    target: str


class AcceptedView(BaseModel):
    clinician_id: str
    name: str | None
    at: str


class EscalationView(BaseModel):
    incident_id: str
    event_id: str
    program_id: str
    code: str
    severity: str
    status: str
    opened_at: str
    current_rung: RungView | None
    accepted: AcceptedView | None
    referred_at: str | None


class Problem(BaseModel):
    field: str
    problem: str


class ErrorBody(BaseModel):
    error: str = Field(description="unauthorized, invalid_request, unknown_program, "
                                   "event_conflict or not_found")
    message: str
    problems: list[Problem] | None = None


def _responses(*codes: int, ok: tuple[int, type[BaseModel], str] | None = None
               ) -> dict[int, OpenAPIResponse]:
    """OpenAPI responses: this API's own error body for every error it can answer."""
    meaning = {401: "missing, wrong or stale signature", 404: "no such incident for this hotline",
               409: "event_id reused with a different body",
               422: "a field is invalid (each named), or the program is unknown"}
    out: dict[int, OpenAPIResponse] = {
        code: {"description": meaning[code],
               "content": {"application/json": {"model": ErrorBody}}} for code in codes}
    if ok:
        status, model, description = ok
        out[status] = {"description": description,
                       "content": {"application/json": {"model": model}}}
    return out


class InvalidRequest(Exception):
    pass


def _error(status: int, error: str, message: str, **extra: Any) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON,
                    body={"error": error, "message": message, **extra})


@app.exception_handler(RequestValidationError)
def _invalid(exc: RequestValidationError) -> Response:
    problems = [
        {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body",
         "problem": e.get("msg", "is invalid") + (
             f": {e['ctx']['error']}" if e.get("type") == "json_invalid"
             and isinstance(e.get("ctx", {}).get("error"), str) else "")}
        for e in exc.errors()
    ]  # never echo the submitted values back: they may carry participant details
    # (a JSON parser's message names the syntax, never the text)
    return _error(422, "invalid_request", "the request body is not a valid escalation",
                  problems=problems)


@app.exception_handler(InvalidRequest)
def _bad_field(exc: InvalidRequest) -> Response:
    return _error(422, "invalid_request", str(exc))


@app.exception_handler(intake.UnknownProgram)
def _unknown_program(exc: intake.UnknownProgram) -> Response:
    return _error(422, "unknown_program", str(exc))


@app.exception_handler(intake.EventConflict)
def _conflict(exc: intake.EventConflict) -> Response:
    return _error(409, "event_conflict", str(exc))


@app.exception_handler(intake.IncidentNotFound)
def _not_found(exc: intake.IncidentNotFound) -> Response:
    return _error(404, "not_found", str(exc))


@app.post(
    "/v1/escalations",
    summary="Report a crisis",
    responses=_responses(401, 409, 422, ok=(
        202, EscalationAccepted, "the incident is open and its ladder is running")),
)
def post_escalation(body: EscalationRequest) -> Response[EscalationAccepted]:
    if body.callback_url:
        problem = callback_url_problem(body.callback_url, settings().callback_allow_http_loopback)
        if problem:
            raise InvalidRequest(problem)
    opened = intake.open_incident(
        intake.OpenEscalation(
            hotline_id=app.context["hotline_id"],
            event_id=body.event_id,
            program_id=body.program_id,
            severity=triage(body.severity, screen_from_answers(body.screener)
                            if body.screener is not None else None),
            participant_ref=body.participant_ref,
            summary=body.summary,
            callback_url=body.callback_url,
            screener=body.screener,
        ),
        incidents=bootstrap.incidents(),
        timeline=bootstrap.timeline(),
        directory=bootstrap.directory(),
        ladder=bootstrap.ladder(),
        clock=bootstrap.clock(),
    )
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
    return Response(
        status_code=202,
        content_type=content_types.APPLICATION_JSON,
        body=EscalationAccepted(incident_id=incident.incident_id, code=incident.code,
                                status=incident.status.value, created=opened.created),
    )


@app.get(
    "/v1/escalations/<incident_id>",
    summary="Read an incident's status",
    responses=_responses(401, 404, 422, ok=(200, EscalationView, "the incident's status")),
)
def get_escalation(
    incident_id: IncidentId,
) -> EscalationView:
    logger.set_correlation_id(incident_id)
    view = intake.incident_view(incident_id, app.context["hotline_id"],
                                incidents=bootstrap.incidents(), directory=bootstrap.directory())
    return EscalationView.model_validate(view)


class TimelineEntryView(BaseModel):
    model_config = ConfigDict(extra="allow")  # each kind has its own details

    at: str = Field(description="ISO 8601 instant")
    kind: str = Field(description="opened, paged, page_delivered, page_undelivered, called, "
                                  "call_ended, accepted, passed, resolved, rung_skipped, "
                                  "referred, callback_sent, ...")


class TimelineView(BaseModel):
    incident_id: str
    entries: list[TimelineEntryView]


@app.get(
    "/v1/escalations/<incident_id>/timeline",
    summary="Read an incident's timeline (the audit trail)",
    responses=_responses(401, 404, 422, ok=(200, TimelineView, "every entry, oldest first")),
)
def get_escalation_timeline(
    incident_id: IncidentId,
) -> TimelineView:
    logger.set_correlation_id(incident_id)
    entries = intake.incident_timeline(incident_id, app.context["hotline_id"],
                                       incidents=bootstrap.incidents(),
                                       timeline=bootstrap.timeline())
    return TimelineView.model_validate({"incident_id": incident_id, "entries": entries})


def authenticate(event: APIGatewayProxyEvent) -> str:
    """The hotline id of a genuinely signed request; raises SignatureError otherwise."""
    hotline_id = _header(event, signature.HOTLINE_HEADER)
    secret = bootstrap.hotline().secret_for(hotline_id) if hotline_id else None
    signature.verify(
        secret,
        timestamp=_header(event, signature.TIMESTAMP_HEADER),
        signature=_header(event, signature.SIGNATURE_HEADER),
        method=event.http_method,
        path=event.path,
        body=event.decoded_body or "",
        now_epoch=time.time(),  # the hotline signs with wall-clock time, never a ladder clock
    )
    return str(hotline_id)


def _header(event: APIGatewayProxyEvent, name: str) -> str | None:
    return event.headers.get(name)  # case-insensitive in Powertools v3


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        hotline_id = authenticate(APIGatewayProxyEvent(event))
    except signature.SignatureError as exc:
        logger.warning("rejected unsigned request", extra={"reason": str(exc)})
        return {"statusCode": 401, "headers": {"Content-Type": "application/json"},
                "body": json.dumps({"error": "unauthorized", "message": str(exc)})}
    app.append_context(hotline_id=hotline_id)
    return app.resolve(event, context)

