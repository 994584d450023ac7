"""Programs and clinicians as admins configure them, validated on read."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidItem, InvalidPolicy
from .incident import Severity
from .ladder import DEFAULT_POLICIES, Rung, parse_policy

E164 = re.compile(r"\+[1-9][0-9]{6,14}")  # always fullmatch: no trailing newline, ASCII digits


@dataclass(frozen=True)
class LocalResources:
    """Where the local emergency referral sends a person: direct local numbers, because
    988 and 911 route by the caller's location, not the participant's."""

    crisis_line: str
    mobile_crisis_team: str
    emergency_department: str  # name of the nearest emergency department
    emergency_department_phone: str

    def as_dict(self) -> dict[str, str]:
        return {
            "crisis_line": self.crisis_line,
            "mobile_crisis_team": self.mobile_crisis_team,
            "emergency_department": self.emergency_department,
            "emergency_department_phone": self.emergency_department_phone,
        }


@dataclass(frozen=True)
class Program:
    program_id: str
    display_name: str
    hotline_number: str  # the number a paged clinician calls for the warm handoff
    resources: LocalResources
    policies: dict[Severity, tuple[Rung, ...]]
    admin_phones: tuple[str, ...] = ()  # texted when a rota edit leaves a gap

    def roles(self) -> list[str]:
        """The rotas the ladders page, in the order the most urgent ladder pages them."""
        seen: list[str] = []
        for severity in Severity:  # imminent first
            for rung in self.policies[severity]:
                if rung.target != "referral" and rung.target not in seen:
                    seen.append(rung.target)
        return seen

    def ladder_for(self, severity: Severity) -> tuple[Rung, ...]:
        return self.policies[severity]


@dataclass(frozen=True)
class Clinician:
    clinician_id: str
    name: str
    phone: str


def _phone(table: str, key: str, field: str, value: object) -> str:
    if not isinstance(value, str) or not E164.fullmatch(value):
        raise InvalidItem(table, key, field, f"'{value}' is not an E.164 number like +15035550100")
    return value


def program_from_fields(program_id: str, fields: dict[str, object]) -> Program:
    key = f"{program_id} / program"

    def text(field: str, limit: int = 80) -> str:
        value = fields.get(field)
        if not isinstance(value, str) or not value.strip():
            raise InvalidItem("programs", key, field, "is missing or empty")
        if len(value) > limit:
            raise InvalidItem("programs", key, field, f"is longer than {limit} characters")
        return value.strip()

    policies: dict[Severity, tuple[Rung, ...]] = {}
    for severity in Severity:
        field = f"ladder_{severity.value}"
        raw = fields.get(field)
        try:
            policies[severity] = parse_policy(
                raw if isinstance(raw, str) and raw.strip() else DEFAULT_POLICIES[severity]
            )
        except InvalidPolicy as exc:
            raise InvalidItem("programs", key, field, str(exc)) from None
    resources = LocalResources(
        crisis_line=_phone("programs", key, "crisis_line", fields.get("crisis_line")),
        mobile_crisis_team=_phone(
            "programs", key, "mobile_crisis_team", fields.get("mobile_crisis_team")
        ),
        emergency_department=text("emergency_department"),
        emergency_department_phone=_phone(
            "programs", key, "emergency_department_phone", fields.get("emergency_department_phone")
        ),
    )
    admins = fields.get("admin_phones") or []
    if not isinstance(admins, (list, tuple)):
        raise InvalidItem("programs", key, "admin_phones", "is not a list of E.164 numbers")
    admin_phones = tuple(_phone("programs", key, "admin_phones", a) for a in admins)
    return Program(
        program_id=program_id,
        admin_phones=admin_phones,
        display_name=text("display_name", 40),
        hotline_number=_phone("programs", key, "hotline_number", fields.get("hotline_number")),
        resources=resources,
        policies=policies,
    )


def clinician_from_fields(clinician_id: str, fields: dict[str, object]) -> Clinician:
    key = clinician_id
    name = fields.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidItem("clinicians", key, "name", "is missing or empty")
    phone = _phone("clinicians", key, "phone", fields.get("phone"))
    return Clinician(clinician_id, name.strip(), phone)
