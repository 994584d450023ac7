"""Settings from the environment. With bootstrap.py, the only reader of env vars."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Settings:
    region: str
    incidents_table: str
    timeline_table: str
    programs_table: str
    clinicians_table: str
    participants_table: str
    state_machine_arn: str
    twilio_secret_arn: str
    hotline_secret_arn: str
    calendar_secret_arn: str
    alerts_topic_arn: str
    public_base_url: str
    public_base_url_parameter: str
    callback_allow_http_loopback: bool


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


@cache
def settings() -> Settings:
    return Settings(
        region=_env("AWS_REGION") or _env("AWS_DEFAULT_REGION") or "us-east-1",
        incidents_table=_env("INCIDENTS_TABLE", "crisis-pager-incidents"),
        timeline_table=_env("TIMELINE_TABLE", "crisis-pager-timeline"),
        programs_table=_env("PROGRAMS_TABLE", "crisis-pager-programs"),
        clinicians_table=_env("CLINICIANS_TABLE", "crisis-pager-clinicians"),
        participants_table=_env("PARTICIPANTS_TABLE", "crisis-pager-participants"),
        state_machine_arn=_env("STATE_MACHINE_ARN"),
        twilio_secret_arn=_env("TWILIO_SECRET_ARN"),
        hotline_secret_arn=_env("HOTLINE_SECRET_ARN"),
        calendar_secret_arn=_env("CALENDAR_SECRET_ARN"),
        alerts_topic_arn=_env("ALERTS_TOPIC_ARN"),
        public_base_url=_env("PUBLIC_BASE_URL").rstrip("/"),
        public_base_url_parameter=_env("PUBLIC_BASE_URL_PARAMETER"),
        callback_allow_http_loopback=_env("CALLBACK_ALLOW_HTTP_LOOPBACK").lower() == "true",
    )
