"""The hotline API's contract: the request and response models of POST /v1/escalations
and its reads, as the OpenAPI document publishes them, and its error answers. Powertools
validates each request against these before the handler runs; what they cannot say (the
severity triaged with the screen, the callback URL's policy) the intake use case checks
and raises, and :func:`answer_errors` maps to the same 422."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict, Field

from crisis_pager.domain.incident import Severity
from crisis_pager.service import intake

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


class TimelineEntryView(BaseModel):
    model_config = ConfigDict(extra="allow")  # each kind has its own details

    at: str = Field(description="ISO 8601 instant")
    kind: str = Field(description="opened, paged, page_delivered, page_undelivered, called, "
                                  "call_ended, accepted, passed, resolved, rung_skipped, "
                                  "referred, callback_sent, ...")


class TimelineView(BaseModel):
    incident_id: str
    entries: list[TimelineEntryView]


def responses(*codes: int, ok: tuple[int, type[BaseModel], str] | None = None
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


INVALID = "the request body is not a valid escalation"


def _error(status: int, error: str, message: str, **extra: Any) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON,
                    body={"error": error, "message": message, **extra})


def _problems(exc: RequestValidationError) -> list[dict[str, str]]:
    """Each invalid field, named; never the submitted values (they may carry participant
    details; a JSON parser's message names the syntax, never the text)."""
    return [
        {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body",
         "problem": e.get("msg", "is invalid") + (
             f": {e['ctx']['error']}" if e.get("type") == "json_invalid"
             and isinstance(e.get("ctx", {}).get("error"), str) else "")}
        for e in exc.errors()
    ]


def answer_errors(app: Any) -> None:
    """Map every error the intake can raise to its answer (ErrorBody)."""
    app.exception_handler(RequestValidationError)(
        lambda exc: _error(422, "invalid_request", INVALID, problems=_problems(exc)))
    app.exception_handler(intake.InvalidEscalation)(
        lambda exc: _error(422, "invalid_request", INVALID,
                           problems=[{"field": exc.field, "problem": exc.problem}]))
    app.exception_handler(intake.UnknownProgram)(
        lambda exc: _error(422, "unknown_program", str(exc)))
    app.exception_handler(intake.EventConflict)(
        lambda exc: _error(409, "event_conflict", str(exc)))
    app.exception_handler(intake.IncidentNotFound)(
        lambda exc: _error(404, "not_found", str(exc)))
