"""The accepting clinician's secure link to an incident's brief:

    GET  /brief/{incident_id}/{token}                 the interstitial (HTML, no PHI): the
                                                      program, the code, one Open button
    POST /brief/{incident_id}/{token}  action=open    the brief (HTML)
    either, with ?format=json or Accept: application/json: the same as JSON
    POST /brief/{incident_id}/{token}  follow_up=attempt|done   a follow-up form (then the
                                                      brief)

Phones and messaging apps GET the links in an SMS to build previews: a GET of the page
therefore shows nothing of the brief and is recorded as ``brief_previewed``, and only the
POST (a person pressing Open) shows it and is recorded as ``brief_opened``. The same holds
for JSON: a GET never shows the brief, whatever it asks for.

A link that does not open (unknown, expired, another incident's, or a clinician no longer
entitled) gets one plain 403 page, whatever the reason and the method. Every use is on the
incident's timeline (service/briefs.py) and logged here with ids and the outcome only: never
the token, the path (it holds the token), nor anything the brief shows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from crisis_pager import bootstrap
from crisis_pager.domain.brief import FOLLOW_UP_ACTIONS, OPEN_ACTION, Format
from crisis_pager.domain.brief_page import (
    HTML,
    PAGE_HEADERS,
    REFUSED_TEXT,
    render_brief,
    render_interstitial,
    render_refused,
)
from crisis_pager.domain.brief_view import Brief, Preview, brief_json, preview_json
from crisis_pager.service import briefs
from crisis_pager.service.followup import record_follow_up

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver()
JSON = "application/json"


class BadForm(Exception):
    pass


@app.get("/brief/<incident_id>/<token>")
def get_brief(incident_id: str, token: str) -> Response:
    fmt = _format()
    result = briefs.preview_brief(
        incident_id, token, bootstrap.clock().now(), links=bootstrap.brief_links(),
        incidents=bootstrap.incidents(), timeline=bootstrap.timeline(),
        directory=bootstrap.directory(), fmt=fmt)
    return _answer(incident_id, result, fmt)


@app.post("/brief/<incident_id>/<token>")
def post_brief(incident_id: str, token: str) -> Response:
    try:
        form = parse_qs(app.current_event.decoded_body or "", max_num_fields=5)
    except ValueError:  # more fields than any of the page's forms has
        raise BadForm from None
    action = (form.get("action") or [""])[0]
    follow_up = (form.get("follow_up") or [""])[0]
    if action == OPEN_ACTION and not follow_up:
        return _open(incident_id, token, _format())
    if action or follow_up not in FOLLOW_UP_ACTIONS:
        raise BadForm
    deps = bootstrap.deps()
    result = briefs.record_from_brief(
        incident_id, token, follow_up, deps.clock.now(), links=bootstrap.brief_links(),
        incidents=deps.incidents, timeline=deps.timeline, directory=deps.directory,
        participants=bootstrap.participants(),
        record=lambda iid, cid, act: record_follow_up(iid, cid, act, deps).outcome)
    return _answer(incident_id, result, Format.HTML, action=follow_up)


def _open(incident_id: str, token: str, fmt: Format) -> Response:
    result = briefs.open_brief(
        incident_id, token, bootstrap.clock().now(), links=bootstrap.brief_links(),
        incidents=bootstrap.incidents(), timeline=bootstrap.timeline(),
        directory=bootstrap.directory(), participants=bootstrap.participants(), fmt=fmt)
    return _answer(incident_id, result, fmt)


def _format() -> Format:
    event = app.current_event
    if event.get_query_string_value("format") == "json":
        return Format.JSON
    accept = (event.headers.get("Accept") or "").lower()
    return Format.JSON if JSON in accept and "text/html" not in accept else Format.HTML


def _answer(incident_id: str, result: Brief | Preview | briefs.Refused, fmt: Format,
            action: str | None = None) -> Response:
    if isinstance(result, briefs.Refused):
        logger.set_correlation_id(result.recorded_on[0] if result.recorded_on else None)
        logger.warning("brief refused", extra={
            "reason": result.reason.value, "link": result.link_id,
            "clinician_id": result.clinician_id, "format": fmt.value, "action": action})
        _count("BriefsRefused", result.reason.value)
        return _refused(fmt)
    logger.set_correlation_id(incident_id)
    if isinstance(result, Preview):
        logger.info("brief previewed", extra={
            "clinician_id": result.viewer_id, "purpose": result.purpose.value,
            "format": fmt.value})
        _count("BriefsPreviewed", result.purpose.value)
        return _page(200, fmt, lambda: preview_json(result),
                     lambda: render_interstitial(result))
    logger.info("brief opened", extra={
        "clinician_id": result.viewer_id, "purpose": result.purpose.value,
        "format": fmt.value, "action": action,
        "participant_shown": result.participant is not None})
    _count("BriefsOpened", result.purpose.value)
    return _page(200, fmt, lambda: brief_json(result), lambda: render_brief(result))


def _page(status: int, fmt: Format, data: Callable[[], dict[str, Any]],
          html: Callable[[], str]) -> Response:
    """The answer in the format asked for (only that one is rendered), with the page's
    headers (no-store, CSP, no referrer) either way."""
    if fmt is Format.JSON:
        return Response(status_code=status, content_type=JSON, body=json.dumps(data()),
                        headers=dict(PAGE_HEADERS))
    return Response(status_code=status, content_type=HTML, body=html(),
                    headers=dict(PAGE_HEADERS))


def _count(name: str, dimension: str) -> None:
    with single_metric(name=name, unit=MetricUnit.Count, value=1,
                       default_dimensions=metrics.default_dimensions) as metric:
        metric.add_dimension(name="kind", value=dimension)


def _refused(fmt: Format) -> Response:
    return _page(403, fmt, lambda: {"error": "invalid_or_expired", "message": REFUSED_TEXT},
                 render_refused)


@app.exception_handler(BadForm)
def _bad_form(exc: BadForm) -> Response:
    logger.warning("brief form without a known action (open) or follow_up action")
    return Response(status_code=400, content_type="text/plain; charset=utf-8",
                    body="Unknown form.\n", headers=dict(PAGE_HEADERS))


@app.not_found
def _no_route(exc: Exception) -> Response:
    return Response(status_code=404, content_type="text/plain; charset=utf-8",
                    body="not found\n", headers=dict(PAGE_HEADERS))


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
