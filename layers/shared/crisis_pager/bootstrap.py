"""Wires adapters to use cases: the only place that builds adapters.

:func:`build` gives a :class:`Ports`, typed and lazy: each port's adapter is built on first
use and kept, so a function that never sends SMS never imports twilio.rest, and boto3
clients are created once per container. Lambda functions take the process's Ports through
the accessors below (``bootstrap.incidents()`` ...), built from the environment's settings
on first use; the local stack (and tests) call :func:`configure` before the first handler
runs to swap the clock and Twilio's HTTP transport; :func:`reset` forgets everything built.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

from .config import Settings, settings
from .service.ports.clock import Clock

if TYPE_CHECKING:
    from .adapters.hotline import HotlineGateway
    from .adapters.twilio_rest import TwilioApi
    from .adapters.twilio_webhook import TwilioSignature
    from .service.ports.codes import ReplyCodes
    from .service.ports.directory import DirectoryIndex
    from .service.ports.follow_ups import FollowUps
    from .service.ports.incidents import Incidents
    from .service.ports.ladder import Ladder
    from .service.ports.messaging import Alerts, OptOuts, Sms
    from .service.ports.pages import Pages
    from .service.ports.participants import BriefLinks, Participants
    from .service.ports.timeline import Timeline

SECRET_MAX_AGE_S = 300


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)


def _secret(arn: str) -> dict[str, str]:
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_secret(arn, transform="json", max_age=SECRET_MAX_AGE_S)
    if not isinstance(value, dict):
        raise ValueError("secret is not a JSON object")
    return {str(k): str(v) for k, v in value.items()}


def _secret_json(arn: str) -> dict[str, Any]:
    """A JSON-object secret with its values as stored (strings, or objects)."""
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_secret(arn, transform="json", max_age=SECRET_MAX_AGE_S)
    if not isinstance(value, dict):
        raise ValueError("secret is not a JSON object")
    return {str(k): v for k, v in value.items()}


class Ports:
    """Every port, built from ``settings`` on first use (see :func:`build`)."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None,
                 twilio_http: Any = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._twilio_http = twilio_http
        self._clients: dict[str, Any] = {}  # boto3 clients by service
        self._lock = threading.Lock()  # the local stack builds from many threads at once

    def _tables(self) -> None:
        from .adapters.dynamo import tables

        tables.bind(self.settings)

    def _boto(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                import boto3

                self._clients[service] = boto3.client(service, region_name=self.settings.region)
            return self._clients[service]

    @cached_property
    def incidents(self) -> Incidents:
        from .adapters.dynamo.incidents import DynamoIncidents

        self._tables()
        return DynamoIncidents()

    @cached_property
    def pages(self) -> Pages:
        from .adapters.dynamo.pages import DynamoPages

        self._tables()
        return DynamoPages()

    @cached_property
    def codes(self) -> ReplyCodes:
        from .adapters.dynamo.codes import DynamoReplyCodes

        self._tables()
        return DynamoReplyCodes()

    @cached_property
    def follow_ups(self) -> FollowUps:
        from .adapters.dynamo.follow_ups import DynamoFollowUps

        self._tables()
        return DynamoFollowUps()

    @cached_property
    def timeline(self) -> Timeline:
        from .adapters.dynamo.timeline import DynamoTimeline

        self._tables()
        return DynamoTimeline()

    @cached_property
    def directory(self) -> DirectoryIndex:
        """The Directory port, and the rota guard's ProgramIndex (one adapter)."""
        from .adapters.dynamo.directory import DynamoDirectory

        self._tables()
        return DynamoDirectory()

    @cached_property
    def participants(self) -> Participants:
        """Safety plans (versioned), disclosures, referral notices."""
        from .adapters.dynamo.participants import DynamoParticipants

        self._tables()
        return DynamoParticipants()

    @cached_property
    def brief_links(self) -> BriefLinks:
        """The clinicians' secure links (hashes only) on the incidents table."""
        from .adapters.dynamo.brief_links import DynamoBriefLinks

        self._tables()
        return DynamoBriefLinks()

    @cached_property
    def opt_outs(self) -> OptOuts:
        from .adapters.dynamo.opt_outs import DynamoOptOuts

        self._tables()
        return DynamoOptOuts()

    @cached_property
    def ladder(self) -> Ladder:
        from .adapters.aws import StepFunctionsLadder

        return StepFunctionsLadder(self._boto("stepfunctions"), self.settings.state_machine_arn)

    @cached_property
    def alerts(self) -> Alerts:
        from .adapters.aws import SnsAlerts

        return SnsAlerts(self._boto("sns"), self.settings.alerts_topic_arn)

    @cached_property
    def twilio(self) -> TwilioApi:
        """The Sms and Voice ports (one Twilio client)."""
        from .adapters.twilio_rest import TwilioApi

        return TwilioApi(_secret(self.settings.twilio_secret_arn),
                         base_url=self.public_base_url, http_client=self._twilio_http)

    @cached_property
    def lazy_sms(self) -> Sms:
        """The Sms port, built at the first send: a function that seldom texts (the
        referral's support persons) imports Twilio only then, and an unreadable Twilio
        secret fails that send, never the function's main work."""
        return _LazySms(self)

    @cached_property
    def twilio_signature(self) -> TwilioSignature:
        from .adapters.twilio_webhook import TwilioSignature

        return TwilioSignature(_secret(self.settings.twilio_secret_arn)["auth_token"])

    @cached_property
    def hotline(self) -> HotlineGateway:
        from .adapters.hotline import HotlineGateway

        arn = self.settings.hotline_secret_arn
        return HotlineGateway(lambda: _secret_json(arn),
                              allow_http_loopback=self.settings.callback_allow_http_loopback)

    def public_base_url(self) -> str:
        """The URL prefix Twilio posts status reports and fetches call TwiML from: the
        PUBLIC_BASE_URL setting, else the SSM parameter the stack writes with the API's URL
        (a function cannot reference its own API in the template: that is a cycle)."""
        base = self.settings.public_base_url
        if base or not self.settings.public_base_url_parameter:
            return base
        from aws_lambda_powertools.utilities import parameters

        value = parameters.get_parameter(self.settings.public_base_url_parameter,
                                         max_age=SECRET_MAX_AGE_S)
        return str(value or "").rstrip("/")

    def calendar_secret(self) -> str:
        """The key of the calendar feeds' tokens (secret JSON ``{"calendar": "..."}``). Not
        kept here: Powertools caches it for SECRET_MAX_AGE_S, so a rotation takes effect."""
        return _secret(self.settings.calendar_secret_arn).get("calendar", "")


class _LazySms:
    def __init__(self, ports: Ports) -> None:
        self._ports = ports

    def send(self, to: str, body: str, **options: Any) -> str:
        return str(self._ports.twilio.send(to, body, **options))


def build(settings: Settings, *, clock: Clock | None = None, twilio_http: Any = None) -> Ports:
    """Every port from ``settings``; ``clock`` and ``twilio_http`` (Twilio's HTTP transport)
    replace the system clock and the real network (the local stack, tests)."""
    return Ports(settings, clock=clock, twilio_http=twilio_http)


# ---------------------------------------------------------------- the process's ports

_overrides: dict[str, Any] = {}


def configure(*, clock: Clock | None = None, twilio_http_client: Any = None) -> None:
    if clock is not None:
        _overrides["clock"] = clock
    if twilio_http_client is not None:
        _overrides["twilio_http_client"] = twilio_http_client
    reset()


def reset() -> None:
    ports.cache_clear()
    settings.cache_clear()


@cache
def ports() -> Ports:
    return build(settings(), clock=_overrides.get("clock"),
                 twilio_http=_overrides.get("twilio_http_client"))


def clock() -> Clock:
    return _overrides.get("clock") or ports().clock


def tables() -> None:
    """Bind the DynamoDB models to the tables the settings name."""
    ports()._tables()


def incidents() -> Incidents:
    return ports().incidents


def pages() -> Pages:
    return ports().pages


def codes() -> ReplyCodes:
    return ports().codes


def follow_ups() -> FollowUps:
    return ports().follow_ups


def timeline() -> Timeline:
    return ports().timeline


def directory() -> DirectoryIndex:
    return ports().directory


def participants() -> Participants:
    return ports().participants


def brief_links() -> BriefLinks:
    return ports().brief_links


def opt_outs() -> OptOuts:
    return ports().opt_outs


def ladder() -> Ladder:
    return ports().ladder


def alerts() -> Alerts:
    return ports().alerts


def twilio() -> TwilioApi:
    return ports().twilio


def sms() -> TwilioApi:
    return ports().twilio


def lazy_sms() -> Sms:
    return ports().lazy_sms


def twilio_signature() -> TwilioSignature:
    return ports().twilio_signature


def hotline() -> HotlineGateway:
    return ports().hotline


def twilio_webhook(app: Any) -> None:
    """Check X-Twilio-Signature before every route of ``app`` (403 otherwise; see
    adapters/twilio_webhook.install): the URL Twilio signed starts with PUBLIC_BASE_URL when
    set, else API Gateway's own host and stage."""
    from .adapters.twilio_webhook import install

    install(app, twilio_signature, lambda: settings().public_base_url)


def hotline_signed(app: Any) -> Any:
    """Decorate a lambda_handler resolving ``app``: a 401 unless the hotline signed the
    request with its secret (adapters/hotline_webhook.guard), checked before anything else."""
    from .adapters.hotline_webhook import guard

    return guard(app, lambda hotline_id: ports().hotline.secret_for(hotline_id))


def public_base_url() -> str:
    return ports().public_base_url()


def calendar_secret() -> str:
    return ports().calendar_secret()
