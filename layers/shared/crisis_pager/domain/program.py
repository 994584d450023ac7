"""Programs and clinicians as admins configure them, validated on read."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import TypeVar

from .errors import InvalidItem, InvalidPolicy
from .hours import (
    DEFAULT_BUSINESS_HOURS,
    BusinessHours,
    parse_business_hours,
    parse_closed_dates,
    parse_spans,
    time_zone,
)
from .incident import Severity
from .ladder import (
    DEFAULT_FOLLOW_UP_POLICY,
    DEFAULT_POLICIES,
    Rung,
    check_follow_up_policy,
    check_policy_for,
    parse_policy,
)

E164 = re.compile(r"\+[1-9][0-9]{6,14}")  # always fullmatch: no trailing newline, ASCII digits
# A participant's location is used for the referral while it is this fresh. Virtual IOP
# sessions confirm where the participant is at each session, so a day-old confirmation is
# the last session's; a program may set location_max_age_hours (1 to 168) on its item.
DEFAULT_LOCATION_MAX_AGE = timedelta(hours=24)
LOCATION_MAX_AGE_HOURS = (1, 168)
T = TypeVar("T")
# The program's own local resources, the referral's fallback: all of them or none is used.
RESOURCE_FIELDS = ("crisis_line", "mobile_crisis_team", "emergency_department",
                   "emergency_department_phone")


@dataclass(frozen=True)
class LocalResources:
    """Where the local emergency referral sends a person: direct local numbers, because
    988 and 911 route by the caller's location, not the participant's."""

    crisis_line: str
    mobile_crisis_team: str
    emergency_department: str  # name of the nearest emergency department
    emergency_department_phone: str
    # The local emergency call center (PSAP)'s direct 10-digit number, as E.164. Required on
    # a participant's location; optional on a program (items written before it existed stay
    # valid), and a referral says so when it is missing.
    emergency_call_center: str | None = None

    def as_dict(self) -> dict[str, str]:
        out = {
            "crisis_line": self.crisis_line,
            "mobile_crisis_team": self.mobile_crisis_team,
            "emergency_department": self.emergency_department,
            "emergency_department_phone": self.emergency_department_phone,
        }
        if self.emergency_call_center:
            out["emergency_call_center"] = self.emergency_call_center
        return out


@dataclass(frozen=True)
class Program:
    program_id: str
    display_name: str
    # The number a paged clinician calls for the warm handoff; None when the item's is
    # malformed (named in problems): pages still go, without it.
    hotline_number: str | None
    # The referral's fallback when the participant's location is not fresh; None when one
    # of them is malformed (named in problems): the referral says so.
    resources: LocalResources | None
    policies: dict[Severity, tuple[Rung, ...]]
    admin_phones: tuple[str, ...] = ()  # texted when a rota edit leaves a gap
    # When low-severity tasks are paged (see domain/hours.py); checked when read.
    business_hours_text: str = DEFAULT_BUSINESS_HOURS
    timezone: str | None = None  # IANA; None: the paged rota's
    closed_dates: tuple[str, ...] = ()  # ISO dates the program is closed (holidays)
    location_max_age: timedelta = DEFAULT_LOCATION_MAX_AGE  # older: the referral falls back
    # Who is paged when a resolved crisis's follow-up is overdue (like a low task).
    follow_up_policy: tuple[Rung, ...] = field(
        default_factory=lambda: parse_policy(DEFAULT_FOLLOW_UP_POLICY))
    # The item's malformed fields, each read as its stand-in instead (program_from_fields,
    # stand_in): the rota guard names them to the admins, and an incident opened meanwhile
    # records them on its timeline.
    problems: tuple[InvalidItem, ...] = ()

    def roles(self) -> list[str]:
        """The rotas the ladders page, in the order the most urgent ladder pages them."""
        seen: list[str] = []
        for rungs in [*(self.policies[s] for s in Severity), self.follow_up_policy]:
            for rung in rungs:  # imminent first, the follow-up's escalation last
                if rung.target != "referral" and rung.target not in seen:
                    seen.append(rung.target)
        return seen

    def ladder_for(self, severity: Severity) -> tuple[Rung, ...]:
        return self.policies[severity]

    def hours(self, fallback_timezone: str) -> BusinessHours:
        """The program's business hours, in its own time zone or else the fallback (the
        paged rota's). Raises ValueError only for a bad fallback: the program's own
        fields were checked when it was read."""
        return parse_business_hours(self.business_hours_text,
                                    self.timezone or fallback_timezone, self.closed_dates)


@dataclass(frozen=True)
class Clinician:
    clinician_id: str
    name: str
    phone: str


def _phone(table: str, key: str, field: str, value: object) -> str:
    if not isinstance(value, str) or not E164.fullmatch(value):
        raise InvalidItem(table, key, field, f"'{value}' is not an E.164 number like +15035550100")
    return value


# A malformed field reads as its default (and is named in Program.problems) rather than
# making the item unusable: a typo on a program item must never stop a crisis from being
# paged. The defaults: the program id for its name, the default ladders, hours and location
# age, no holidays; no hotline number (pages go without it), no local resources (the
# referral says so) and no call center; the admin phones that do read.
def program_from_fields(program_id: str, fields: dict[str, object]) -> Program:
    """The program an item describes; never raises. A malformed field reads as its default
    and is named in ``problems``. A field's value may be the InvalidItem the store raised
    reading it (a wrong DynamoDB type)."""
    key = f"{program_id} / program"
    problems: list[InvalidItem] = []

    def get(field: str) -> object:
        value = fields.get(field)
        if isinstance(value, InvalidItem):  # the store could not read it (a wrong type)
            raise value
        return value

    def soft(read: Callable[[], T], default: T) -> T:
        try:
            return read()
        except InvalidItem as exc:
            problems.append(exc)
            return default

    def text(field: str, limit: int = 80) -> str:
        value = get(field)
        if not isinstance(value, str) or not value.strip():
            raise InvalidItem("programs", key, field, "is missing or empty")
        if len(value.strip()) > limit:
            raise InvalidItem("programs", key, field, f"is longer than {limit} characters")
        return value.strip()

    def policy(field: str, default: str, check: Callable[[tuple[Rung, ...]], None]
               ) -> tuple[Rung, ...]:
        raw = get(field)
        try:
            rungs = parse_policy(raw if isinstance(raw, str) and raw.strip() else default)
            check(rungs)
            return rungs
        except InvalidPolicy as exc:
            raise InvalidItem("programs", key, field, str(exc)) from None

    policies: dict[Severity, tuple[Rung, ...]] = {}
    for severity in Severity:
        default = DEFAULT_POLICIES[severity]
        policies[severity] = soft(
            partial(policy, f"ladder_{severity.value}", default,
                    partial(check_policy_for, severity)),
            parse_policy(default))
    follow_up_policy = soft(
        partial(policy, "ladder_follow_up", DEFAULT_FOLLOW_UP_POLICY, check_follow_up_policy),
        parse_policy(DEFAULT_FOLLOW_UP_POLICY))
    def phone(field: str) -> str:
        return _phone("programs", key, field, get(field))

    phones = {f: soft(partial(phone, f), None)
              for f in RESOURCE_FIELDS if f != "emergency_department"}
    department = soft(partial(text, "emergency_department"), None)
    # optional on a program (items written before it stay valid); a referral without it
    # says it is missing
    call_center = soft(lambda: phone("emergency_call_center")
                       if fields.get("emergency_call_center") is not None else None, None)
    resources = None  # one unreadable: the referral says so and the hotline uses its own
    if department is not None and None not in phones.values():
        resources = LocalResources(
            crisis_line=str(phones["crisis_line"]),
            mobile_crisis_team=str(phones["mobile_crisis_team"]),
            emergency_department=department,
            emergency_department_phone=str(phones["emergency_department_phone"]),
            emergency_call_center=call_center)
    hotline_number = soft(partial(phone, "hotline_number"), None)
    empty: tuple[str, ...] = ()
    no_admins: list[object] = []
    admins = soft(lambda: _admin_list(key, get("admin_phones")), no_admins)
    admin_phones = tuple(  # the admins whose numbers read are still told
        number for a in admins
        if (number := soft(partial(_phone, "programs", key, "admin_phones", a), None)))
    hours_text = soft(lambda: _business_hours(key, get("business_hours")),
                      DEFAULT_BUSINESS_HOURS)
    zone = soft(lambda: _time_zone(key, get("timezone")), None)
    closed_dates = soft(lambda: _closed_dates(key, get("closed_dates")), empty)
    return Program(
        program_id=program_id,
        admin_phones=admin_phones,
        display_name=soft(lambda: text("display_name", 40), program_id[:40]),
        hotline_number=hotline_number,
        resources=resources,
        policies=policies,
        business_hours_text=hours_text,
        timezone=zone,
        closed_dates=closed_dates,
        location_max_age=soft(
            lambda: _location_max_age(key, get("location_max_age_hours")),
            DEFAULT_LOCATION_MAX_AGE),
        follow_up_policy=follow_up_policy,
        problems=tuple(problems),
    )


def stand_in(field: str) -> str:
    """What a program uses, while its item's ``field`` is malformed, in an admin's words."""
    if field.startswith("ladder_"):
        return "the default ladder"
    if field in RESOURCE_FIELDS:
        return "no local resources of the program (a referral leaves them to the hotline)"
    return {
        "display_name": "the program id as its name",
        "hotline_number": "no hotline number (pages go without it)",
        "emergency_call_center": "no call-center number",
        "admin_phones": "only the admin phones that read",
        "business_hours": f"the default business hours ({DEFAULT_BUSINESS_HOURS})",
        "timezone": "the paged rota's time zone",
        "closed_dates": "no closed dates",
        "location_max_age_hours": f"{int(DEFAULT_LOCATION_MAX_AGE.total_seconds() // 3600)} h",
    }.get(field, "its default")


def _admin_list(key: str, value: object) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise InvalidItem("programs", key, "admin_phones", "is not a list of E.164 numbers")
    return list(value)


def _location_max_age(key: str, value: object) -> timedelta:
    if value is None:
        return DEFAULT_LOCATION_MAX_AGE
    low, high = LOCATION_MAX_AGE_HOURS
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidItem("programs", key, "location_max_age_hours",
                          f"must be a whole number of hours from {low} to {high}")
    return timedelta(hours=value)


# business_hours, timezone and closed_dates: each optional, each checked when the item is
# read, so that a bad value is named then and not when a low task is paged.

def _business_hours(key: str, text: object) -> str:
    if text is None or (isinstance(text, str) and not text.strip()):
        return DEFAULT_BUSINESS_HOURS
    try:
        parse_spans(text)
    except ValueError as exc:
        raise InvalidItem("programs", key, "business_hours", str(exc)) from None
    return str(text).strip()


def _time_zone(key: str, raw: object) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None  # absent or blank on items written before it existed: the rota's zone
    try:
        return time_zone(raw).key
    except ValueError as exc:
        raise InvalidItem("programs", key, "timezone", str(exc)) from None


def _closed_dates(key: str, closed: object) -> tuple[str, ...]:
    if closed is None:
        return ()
    if not isinstance(closed, (list, tuple, set, frozenset)):
        raise InvalidItem("programs", key, "closed_dates",
                          "is not a list of dates like ['2026-12-25']")
    try:
        return tuple(sorted(d.isoformat() for d in parse_closed_dates(closed)))
    except ValueError as exc:
        raise InvalidItem("programs", key, "closed_dates", str(exc)) from None


def clinician_from_fields(clinician_id: str, fields: dict[str, object]) -> Clinician:
    key = clinician_id
    name = fields.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidItem("clinicians", key, "name", "is missing or empty")
    phone = _phone("clinicians", key, "phone", fields.get("phone"))
    return Clinician(clinician_id, name.strip(), phone)
