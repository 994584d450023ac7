"""Wires adapters to use cases, once per cold start, and only what a function asks for.

Each accessor builds its adapter on first use and keeps it: a function that never sends
SMS never imports twilio.rest, and boto3 clients are created once per container.
The local stack (and tests) call :func:`configure` before the first handler runs to swap
the clock and Twilio's HTTP transport; :func:`reset` forgets everything built.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import cache
from typing import Any

from .config import settings
from .service.ports.clock import Clock

SECRET_MAX_AGE_S = 300


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)


_overrides: dict[str, Any] = {}


def configure(*, clock: Clock | None = None, twilio_http_client: Any = None) -> None:
    if clock is not None:
        _overrides["clock"] = clock
    if twilio_http_client is not None:
        _overrides["twilio_http_client"] = twilio_http_client
    reset()


def reset() -> None:
    for accessor in _CACHED:
        accessor.cache_clear()
    settings.cache_clear()


def clock() -> Clock:
    return _overrides.get("clock") or _system_clock()


@cache
def _system_clock() -> Clock:
    return SystemClock()


@cache
def _boto(service: str) -> Any:
    import boto3

    return boto3.client(service, region_name=settings().region)


def _secret(arn: str) -> dict[str, str]:
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_secret(arn, transform="json", max_age=SECRET_MAX_AGE_S)
    if not isinstance(value, dict):
        raise ValueError("secret is not a JSON object")
    return {str(k): str(v) for k, v in value.items()}


def tables() -> None:
    """Bind the DynamoDB models to the tables the settings name (once; cheap after)."""
    from .adapters.dynamo import tables as dynamo_tables

    dynamo_tables.bind(settings())


@cache
def incidents() -> Any:
    from .adapters.dynamo.store import DynamoIncidentStore

    tables()
    return DynamoIncidentStore()


@cache
def timeline() -> Any:
    from .adapters.dynamo.timeline import DynamoTimeline

    tables()
    return DynamoTimeline()


@cache
def directory() -> Any:
    from .adapters.dynamo.directory import DynamoDirectory

    tables()
    return DynamoDirectory()


@cache
def participants() -> Any:
    """The Participants port: safety plans (versioned), disclosures, referral notices."""
    from .adapters.dynamo.participants import DynamoParticipants

    tables()
    return DynamoParticipants()


@cache
def brief_links() -> Any:
    """The BriefLinks port: the clinicians' secure links (hashes only) on the incidents table."""
    from .adapters.dynamo.brief_links import DynamoBriefLinks

    tables()
    return DynamoBriefLinks()


@cache
def ladder() -> Any:
    from .adapters.aws import StepFunctionsLadder

    return StepFunctionsLadder(_boto("stepfunctions"), settings().state_machine_arn)


@cache
def alerts() -> Any:
    from .adapters.aws import SnsAlerts

    return SnsAlerts(_boto("sns"), settings().alerts_topic_arn)


@cache
def twilio() -> Any:
    """The Sms and Voice ports (one Twilio client)."""
    from .adapters.twilio_rest import TwilioApi

    return TwilioApi(
        _secret(settings().twilio_secret_arn), base_url=public_base_url,
        http_client=_overrides.get("twilio_http_client"),
    )


def sms() -> Any:
    return twilio()


class _LazySms:
    """The Sms port, built at the first send: a function that seldom texts (the referral's
    support persons) imports Twilio only then, and an unreadable Twilio secret fails that
    send, never the function's main work."""

    def send(self, to: str, body: str, **options: Any) -> str:
        return str(sms().send(to, body, **options))


def lazy_sms() -> Any:
    return _LazySms()


@cache
def opt_outs() -> Any:
    from .adapters.dynamo.opt_outs import DynamoOptOuts

    tables()
    return DynamoOptOuts()


def public_base_url() -> str:
    """The URL prefix Twilio posts status reports and fetches call TwiML from: the
    PUBLIC_BASE_URL setting, else the SSM parameter the stack writes with the API's URL
    (a function cannot reference its own API in the template: that is a cycle)."""
    base = settings().public_base_url
    if base or not settings().public_base_url_parameter:
        return base
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_parameter(settings().public_base_url_parameter,
                                     max_age=SECRET_MAX_AGE_S)
    return str(value or "").rstrip("/")


def deps(*, voice: bool = False, notify: bool = False, links: bool = False) -> Any:
    """The ports of the delivery paths (service.delivery.Deps): ``voice`` when the function
    may place calls, ``notify`` when it may alert admins (an opt-out), ``links`` when it
    answers an SMS reply with the secure link to the brief."""
    from .service.delivery import Deps

    return Deps(
        incidents=incidents(), timeline=timeline(), directory=directory(), ladder=ladder(),
        clock=clock(), voice=twilio() if voice else None, opt_outs=opt_outs(),
        alerts=alerts() if notify else None, index=directory() if notify else None,
        sms=twilio() if notify else None, links=brief_links() if links else None,
        base_url=public_base_url if links else None,
    )


@cache
def twilio_signature() -> Any:
    from .adapters.twilio_webhook import TwilioSignature

    return TwilioSignature(_secret(settings().twilio_secret_arn)["auth_token"])


def _secret_json(arn: str) -> dict[str, Any]:
    """A JSON-object secret with its values as stored (strings, or objects)."""
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_secret(arn, transform="json", max_age=SECRET_MAX_AGE_S)
    if not isinstance(value, dict):
        raise ValueError("secret is not a JSON object")
    return {str(k): v for k, v in value.items()}


@cache
def hotline() -> Any:
    from .adapters.hotline import HotlineGateway

    arn = settings().hotline_secret_arn
    return HotlineGateway(lambda: _secret_json(arn),
                          allow_http_loopback=settings().callback_allow_http_loopback)


def calendar_secret() -> str:
    """The key of the calendar feeds' tokens (secret JSON ``{"calendar": "..."}``). Not
    kept here: Powertools caches it for SECRET_MAX_AGE_S, so a rotation takes effect."""
    return _secret(settings().calendar_secret_arn).get("calendar", "")


_CACHED = (_system_clock, _boto, incidents, timeline, directory, participants, brief_links,
           ladder, alerts, twilio, opt_outs, twilio_signature, hotline)
