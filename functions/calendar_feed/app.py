"""Calendar feeds (iCalendar) for calendar apps to subscribe to:

    GET /v1/calendars/{program_id}/rotas/{role}.ics?token=...
    GET /v1/calendars/{program_id}/clinicians/{clinician_id}.ics?token=...

API Gateway cannot put ``.ics`` after a ``{param}`` in one segment, so the last segment is
the ``{feed}`` parameter and the suffix is stripped here. A wrong token and an unknown
feed both answer 404 in plain text, with nothing else. Every answer carries FEED_HEADERS
(nosniff, no referrer). Tokens are never logged.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from crisis_pager import bootstrap
from crisis_pager.domain.calendar import Feed
from crisis_pager.formats import calendar
from crisis_pager.service import calendars

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver()
SUFFIX = ".ics"
CALENDAR = "text/calendar; charset=utf-8"
# On every answer, a feed's and a 404 alike: no content sniffing, and the feed's URL (its
# token) never sent on as a referrer.
FEED_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@app.get("/v1/calendars/<program_id>/rotas/<feed>")
def rota_feed(program_id: str, feed: str) -> Response:
    return _serve("rota", program_id, calendars.rota_feed(
        program_id, _name(feed), _token(), directory=bootstrap.directory(),
        secret=bootstrap.calendar_secret(), clock=bootstrap.clock()))


@app.get("/v1/calendars/<program_id>/clinicians/<feed>")
def clinician_feed(program_id: str, feed: str) -> Response:
    return _serve("clinician", program_id, calendars.clinician_feed(
        program_id, _name(feed), _token(), directory=bootstrap.directory(),
        secret=bootstrap.calendar_secret(), clock=bootstrap.clock()))


def _name(feed: str) -> str:
    if not feed.endswith(SUFFIX) or feed == SUFFIX:
        raise calendars.FeedNotFound
    return feed.removesuffix(SUFFIX)


def _token() -> str | None:
    return app.current_event.get_query_string_value("token")


def _serve(kind: str, program_id: str, feed: Feed) -> Response:
    logger.info("calendar feed served", extra={"feed": kind, "program_id": program_id,
                                               "events": len(feed.events)})
    metrics.add_metric(name="CalendarFeedsServed", unit=MetricUnit.Count, value=1)
    return Response(status_code=200, content_type=CALENDAR, body=calendar(feed),
                    headers={**FEED_HEADERS, "Cache-Control": "private, max-age=300"})


def _not_found() -> Response:
    return Response(status_code=404, content_type="text/plain; charset=utf-8",
                    body="not found\n", headers={**FEED_HEADERS, "Cache-Control": "no-store"})


@app.exception_handler(calendars.FeedNotFound)
def _no_feed(exc: calendars.FeedNotFound) -> Response:
    logger.warning("calendar feed not found or wrong token")  # never the token or the path
    return _not_found()


@app.not_found
def _no_route(exc: Exception) -> Response:
    return _not_found()


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
