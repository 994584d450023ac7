"""The items admins edit (programs, rotas, overrides, clinicians): flat, readable strings
and numbers, read as they are and validated by the domain, so that a malformed edit
becomes an error naming the table, the item, the field and the reason."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute

from .tables import TableModel


class ProgramItem(TableModel):
    """key = "program": the program's settings. Flat strings an admin can edit."""

    setting = "programs_table"

    class Meta:
        table_name = ""

    program_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True, default="program")
    display_name = UnicodeAttribute(null=True)
    hotline_number = UnicodeAttribute(null=True)
    crisis_line = UnicodeAttribute(null=True)
    mobile_crisis_team = UnicodeAttribute(null=True)
    emergency_department = UnicodeAttribute(null=True)
    emergency_department_phone = UnicodeAttribute(null=True)
    emergency_call_center = UnicodeAttribute(null=True)  # optional: the local PSAP, E.164
    location_max_age_hours = NumberAttribute(null=True)  # optional: default 24
    ladder_imminent = UnicodeAttribute(null=True)
    ladder_high = UnicodeAttribute(null=True)
    ladder_moderate = UnicodeAttribute(null=True)
    ladder_low = UnicodeAttribute(null=True)
    ladder_follow_up = UnicodeAttribute(null=True)  # optional: "supervisor 1bd x3"
    admin_phones = ListAttribute[str](null=True)
    business_hours = UnicodeAttribute(null=True)  # optional: "Mon-Fri 09:00-17:00"
    timezone = UnicodeAttribute(null=True)  # optional IANA name; else the rota's
    closed_dates = ListAttribute[str](null=True)  # optional: "2026-12-25", ...

    FIELDS = (
        "admin_phones", "business_hours", "timezone", "closed_dates",
        "display_name", "hotline_number", "crisis_line", "mobile_crisis_team",
        "emergency_department", "emergency_department_phone",
        "emergency_call_center", "location_max_age_hours",
        "ladder_imminent", "ladder_high", "ladder_moderate", "ladder_low", "ladder_follow_up",
    )


class RotaItem(TableModel):
    """key = "rota#<name>": a weekly (or n-day) rotation. See domain/rota.py."""

    setting = "programs_table"

    class Meta:
        table_name = ""

    program_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    timezone = UnicodeAttribute(null=True)
    handoff = UnicodeAttribute(null=True)
    shift_days = NumberAttribute(null=True)
    shift_hours = NumberAttribute(null=True)
    starts_on = UnicodeAttribute(null=True)
    members = ListAttribute[str](null=True)
    active = ListAttribute[str](null=True)

    FIELDS = ("timezone", "handoff", "shift_days", "shift_hours", "starts_on", "members",
              "active")


class OverrideItem(TableModel):
    """key = "override#<role>#<when>#<id>": one clinician covers a role for a window."""

    setting = "programs_table"

    class Meta:
        table_name = ""

    program_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    rota = UnicodeAttribute(null=True)
    clinician = UnicodeAttribute(null=True)
    starts = UnicodeAttribute(null=True)
    ends = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)

    FIELDS = ("rota", "clinician", "starts", "ends", "timezone", "created_at")


class ClinicianItem(TableModel):
    setting = "clinicians_table"

    class Meta:
        table_name = ""

    clinician_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)

    FIELDS = ("name", "phone")
