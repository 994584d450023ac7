"""The brief link's HTTP side: the format asked for, the forms a page posts, and every
outcome (the interstitial, the brief, a refusal) as one :class:`Answer` (the page in the
format asked for, with the page's headers, and what the log line and the metric say of
it: ids and the outcome, never the token, the path or anything the brief shows)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from crisis_pager.domain.brief import Format
from crisis_pager.domain.brief_page import (
    HTML,
    PAGE_HEADERS,
    REFUSED_TEXT,
    render_brief,
    render_interstitial,
    render_refused,
)
from crisis_pager.domain.brief_view import Brief, Preview, brief_json, preview_json
from crisis_pager.service.briefs import Refused

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"


class BadForm(Exception):
    """A POST without a form the pages send (action=open, or follow_up=attempt|done)."""


@dataclass(frozen=True)
class Answer:
    status: int
    event: str  # the log line: brief previewed | brief opened | brief refused
    metric: str  # BriefsPreviewed | BriefsOpened | BriefsRefused
    kind: str  # the metric's dimension: the link's purpose, or why it was refused
    correlation_id: str | None
    log: dict[str, Any] = field(default_factory=dict)
    data: Callable[[], dict[str, Any]] = dict
    html: Callable[[], str] = str

    def response(self, fmt: Format) -> Response[str]:
        """The page in the format asked for (only that one is rendered), with the page's
        headers (no-store, CSP, no referrer) either way."""
        if fmt is Format.JSON:
            return Response(status_code=self.status, content_type=JSON,
                            body=json.dumps(self.data()), headers=dict(PAGE_HEADERS))
        return Response(status_code=self.status, content_type=HTML, body=self.html(),
                        headers=dict(PAGE_HEADERS))


def answer(incident_id: str, result: Brief | Preview | Refused, fmt: Format,
           action: str | None = None) -> Answer:
    if isinstance(result, Refused):
        return Answer(
            403, "brief refused", "BriefsRefused", result.reason.value,
            result.recorded_on[0] if result.recorded_on else None,
            {"reason": result.reason.value, "link": result.link_id,
             "clinician_id": result.clinician_id, "format": fmt.value, "action": action},
            lambda: {"error": "invalid_or_expired", "message": REFUSED_TEXT}, render_refused)
    if isinstance(result, Preview):
        return Answer(
            200, "brief previewed", "BriefsPreviewed", result.purpose.value, incident_id,
            {"clinician_id": result.viewer_id, "purpose": result.purpose.value,
             "format": fmt.value},
            lambda: preview_json(result), lambda: render_interstitial(result))
    return Answer(
        200, "brief opened", "BriefsOpened", result.purpose.value, incident_id,
        {"clinician_id": result.viewer_id, "purpose": result.purpose.value,
         "format": fmt.value, "action": action,
         "participant_shown": result.participant is not None},
        lambda: brief_json(result), lambda: render_brief(result))


def format_of(event: APIGatewayProxyEvent) -> Format:
    if event.get_query_string_value("format") == "json":
        return Format.JSON
    accept = (event.headers.get("Accept") or "").lower()
    return Format.JSON if JSON in accept and "text/html" not in accept else Format.HTML


def form_of(event: APIGatewayProxyEvent) -> tuple[str, str]:
    """The posted form's ``action`` and ``follow_up``; BadForm when it has more fields
    than any of the page's forms."""
    try:
        form = parse_qs(event.decoded_body or "", max_num_fields=5)
    except ValueError:
        raise BadForm from None
    return (form.get("action") or [""])[0], (form.get("follow_up") or [""])[0]


def bad_form() -> Response[str]:
    return Response(status_code=400, content_type=TEXT, body="Unknown form.\n",
                    headers=dict(PAGE_HEADERS))


def no_route() -> Response[str]:
    return Response(status_code=404, content_type=TEXT, body="not found\n",
                    headers=dict(PAGE_HEADERS))
