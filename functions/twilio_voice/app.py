"""The page's voice call (signature-checked): TwiML that reads the PHI-free page and
gathers one key: 1 accept, 2 pass, 9 repeat.

``POST /twilio/voice/{incident_id}/{position}``: Twilio fetches it when the call connects
(with AnsweredBy from answering-machine detection: a machine hears nothing and the call
ends, so a voicemail never accepts). ``POST .../key``: the key pressed.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from crisis_pager import bootstrap
from crisis_pager.domain.incident import key_path, page_position, voice_path
from crisis_pager.formats import voice_twiml
from crisis_pager.service.voice import VoiceScript, voice_answer, voice_key

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver()
bootstrap.twilio_webhook(app)  # X-Twilio-Signature checked first: 403, nothing changed
TWIML = "application/xml"


def _form() -> tuple[dict[str, str], str]:
    """The verified form, and the public base URL the request came to."""
    return app.context["twilio_form"], app.context["twilio_base"]


def _twiml(script: VoiceScript, base: str, incident_id: str, position: int) -> Response:
    again = base + voice_path(incident_id, position)
    if script.repeat:
        body = voice_twiml(list(script.say), redirect_url=again)
    else:
        body = voice_twiml(list(script.say), gather=script.gather,
                           gather_url=base + key_path(incident_id, position),
                           then=list(script.then))
    return Response(status_code=200, content_type=TWIML, body=body)


def _no_such_page() -> Response:
    """A position that is not one we put in a URL ("²", "١", "01"): nothing is read or
    changed (int("١") was rung 1, and a key press there was a press on that page)."""
    logger.warning("voice webhook for a malformed page position")
    return Response(status_code=404, content_type="text/plain", body="no such page")


@app.post("/twilio/voice/<incident_id>/<position>")
def answered(incident_id: str, position: str) -> Response:
    form, base = _form()
    if (rung := page_position(position)) is None:
        return _no_such_page()
    logger.set_correlation_id(incident_id)
    answered_by = form.get("AnsweredBy") or None
    p = bootstrap.ports()
    script = voice_answer(incident_id, rung, answered_by, incidents=p.incidents, pages=p.pages,
                          directory=p.directory, timeline=p.timeline, clock=p.clock)
    logger.info("call answered", extra={"position": rung, "answered_by": answered_by})
    return _twiml(script, base, incident_id, rung)


@app.post("/twilio/voice/<incident_id>/<position>/key")
def key(incident_id: str, position: str) -> Response:
    form, base = _form()
    if (rung := page_position(position)) is None:
        return _no_such_page()
    logger.set_correlation_id(incident_id)
    digits = (form.get("Digits") or "")[:1]
    p = bootstrap.ports()
    script = voice_key(incident_id, rung, digits, incidents=p.incidents, pages=p.pages,
                       follow_ups=p.follow_ups, timeline=p.timeline, directory=p.directory,
                       ladder=p.ladder, clock=p.clock)
    logger.info("call key", extra={"position": rung, "key": digits})
    metrics.add_metric(name="VoiceKeys", unit=MetricUnit.Count, value=1)
    return _twiml(script, base, incident_id, rung)


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
