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

from typing import Any

from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from brief_api import BadForm, answer, bad_form, form_of, format_of, no_route

from crisis_pager import bootstrap
from crisis_pager.domain.brief import FOLLOW_UP_ACTIONS, OPEN_ACTION, Format
from crisis_pager.domain.brief_view import Brief, Preview
from crisis_pager.service import briefs
from crisis_pager.service.followup import record_follow_up

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver()


@app.get("/brief/<incident_id>/<token>")
def get_brief(incident_id: str, token: str) -> Response[str]:
    fmt, p = format_of(app.current_event), bootstrap.ports()
    result = briefs.preview_brief(
        incident_id, token, p.clock.now(), links=p.brief_links, incidents=p.incidents,
        timeline=p.timeline, directory=p.directory, fmt=fmt)
    return _answer(incident_id, result, fmt)


@app.post("/brief/<incident_id>/<token>")
def post_brief(incident_id: str, token: str) -> Response[str]:
    action, follow_up = form_of(app.current_event)
    p = bootstrap.ports()
    if action == OPEN_ACTION and not follow_up:
        fmt = format_of(app.current_event)
        opened = briefs.open_brief(
            incident_id, token, p.clock.now(), links=p.brief_links, incidents=p.incidents,
            timeline=p.timeline, directory=p.directory, participants=p.participants, fmt=fmt)
        return _answer(incident_id, opened, fmt)
    if action or follow_up not in FOLLOW_UP_ACTIONS:
        raise BadForm
    result = briefs.record_from_brief(
        incident_id, token, follow_up, p.clock.now(), links=p.brief_links,
        incidents=p.incidents, timeline=p.timeline, directory=p.directory,
        participants=p.participants,
        record=lambda iid, cid, act: record_follow_up(
            iid, cid, act, incidents=p.incidents, follow_ups=p.follow_ups,
            timeline=p.timeline, ladder=p.ladder, clock=p.clock).outcome)
    return _answer(incident_id, result, Format.HTML, action=follow_up)


def _answer(incident_id: str, result: Brief | Preview | briefs.Refused, fmt: Format,
            action: str | None = None) -> Response[str]:
    out = answer(incident_id, result, fmt, action)
    logger.set_correlation_id(out.correlation_id)
    (logger.warning if out.status >= 400 else logger.info)(out.event, extra=out.log)
    with single_metric(name=out.metric, unit=MetricUnit.Count, value=1,
                       default_dimensions=metrics.default_dimensions) as metric:
        metric.add_dimension(name="kind", value=out.kind)
    return out.response(fmt)


@app.exception_handler(BadForm)
def _bad_form(exc: BadForm) -> Response[str]:
    logger.warning("brief form without a known action (open) or follow_up action")
    return bad_form()


@app.not_found
def _no_route(exc: Exception) -> Response[str]:
    return no_route()


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
