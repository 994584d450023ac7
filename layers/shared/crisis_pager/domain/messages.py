"""Every text a clinician reads. PHI-free by construction: these functions take only
the program's display name, the severity, the incident code, phone numbers and
clinician names, never anything about the participant."""

from __future__ import annotations

from .incident import Severity


def _pretty(number: str) -> str:
    """+15035550100 -> +1 503-555-0100 for North American numbers; others unchanged."""
    if number.startswith("+1") and len(number) == 12:
        return f"+1 {number[2:5]}-{number[5:8]}-{number[8:]}"
    return number


def page_sms(program: str, severity: Severity, code: str, hotline_number: str) -> str:
    return (
        f"{program}: {severity.value.upper()} crisis, incident {code}. "
        f"Reply A {code} to accept, then call the hotline at {_pretty(hotline_number)}."
    )


def accepted_reply(program: str, code: str, hotline_number: str) -> str:
    return (
        f"Accepted {code} ({program}). It is yours: call the hotline now at "
        f"{_pretty(hotline_number)} for the warm handoff. Nobody else will be paged."
    )


def already_yours_reply(code: str, hotline_number: str) -> str:
    return f"You already accepted {code}. Hotline: {_pretty(hotline_number)}."


def taken_reply(code: str, by_name: str) -> str:
    return f"{code} was already accepted by {by_name}. No action needed from you."


def closed_reply(code: str) -> str:
    return f"{code} is closed. No action needed from you."


def unknown_code_reply(code: str) -> str:
    return (
        f"No open page {code} was sent to this number. "
        "Check the code in the page you received."
    )


def help_reply() -> str:
    return "To accept a page, reply A and its code, for example: A 417."


def referral_repage_sms(program: str, code: str, hotline_number: str) -> str:
    return (
        f"{program}: incident {code} REFERRED to local emergency services, nobody "
        f"accepted. Reply A {code} to take it. Hotline {_pretty(hotline_number)}."
    )


def rota_gap_alert(program: str, code: str, rota: str, reason: str) -> str:
    return f"{program}: incident {code} skipped rota '{rota}': {reason}"
