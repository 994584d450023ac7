"""Every text a clinician or admin reads or hears. PHI-free by construction: these
functions take only the program's display name, the severity, incident codes, phone
numbers, clinician names, rota names and reasons, never anything about the participant.

SMS texts use only GSM-7 characters (given GSM-7 names), so a segment holds 153-160 of
them. Voice texts are read by text-to-speech: codes and numbers are spoken digit by digit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .brief import ACCEPTED_LINK_TTL
from .incident import Severity
from .replies import Verb

SMS_SEGMENT = 160
TWO_SEGMENTS = 306  # 2 x 153: a concatenated SMS gives up 7 characters per segment
STATUS_MAX = 480
CHOOSE_MAX_CODES = 10


PAGE_STATES: dict[str, str] = {
    "waiting": "waiting on you",  # the ladder is waiting on this clinician now
    "moved_on": "moved on, still open",  # paged earlier; the ladder moved past them
    "accepted": "accepted by you",  # yours: R and the code resolves it
    "referred": "referred, still open",  # referred to local emergency services
    "follow_up": "follow-up due",  # resolved; F and the code reports the follow-up
}


@dataclass(frozen=True)
class OpenPage:
    """One open incident this clinician was paged for, as the STATUS reply lists it."""

    code: str
    program: str
    severity: Severity
    state: str  # one of PAGE_STATES

    def __post_init__(self) -> None:
        if self.state not in PAGE_STATES:
            raise ValueError(f"state must be one of {sorted(PAGE_STATES)}, not {self.state!r}")


def _pretty(number: str) -> str:
    """+15035550100 -> +1 503-555-0100 for North American numbers; others unchanged."""
    if number.startswith("+1") and len(number) == 12:
        return f"+1 {number[2:5]}-{number[5:8]}-{number[8:]}"
    return number


def _spoken(digits: str) -> str:
    """417 -> "4 1 7", so text-to-speech reads each digit."""
    return " ".join(digits)


def _hotline(number: str | None) -> str:
    """" Hotline +1 503-555-0100." at the end of a page; nothing when the program's number
    is unreadable (a typo on its item: the page still goes, the admins are told)."""
    return f" Hotline {_pretty(number)}." if number else ""


def _spoken_number(number: str | None) -> str:
    """+15035550100 -> "5 0 3, 5 5 5, 0 1 0 0"; other numbers in groups of three digits;
    None -> ""."""
    number = number or ""
    digits = "".join(c for c in number if c in "0123456789")
    if number.startswith("+1") and len(digits) == 11:
        groups = [digits[1:4], digits[4:7], digits[7:]]
    else:
        groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return ", ".join(_spoken(g) for g in groups)


def _pages(count: int) -> str:
    return f"{count} open page" if count == 1 else f"{count} open pages"


# SMS to clinicians


def page_sms(program: str, severity: Severity, code: str, hotline_number: str | None) -> str:
    if severity is Severity.LOW:  # a task (a missed session, a check-in), not a crisis
        return (
            f"{program}: LOW task, incident {code}: please contact the participant today. "
            f"Reply A {code} to take it or P {code} to pass."
        )
    return (
        f"{program}: {severity.value.upper()} crisis, incident {code}. "
        f"Reply A {code} to accept or P {code} to pass.{_hotline(hotline_number)}"
    )


def referral_repage_sms(program: str, code: str, hotline_number: str | None) -> str:
    return (
        f"{program}: incident {code} REFERRED to local emergency services, nobody "
        f"accepted. Reply A {code} to accept.{_hotline(hotline_number)}"
    )


def accepted_reply(program: str, code: str, hotline_number: str | None, *,
                   link: str | None = None, task: bool = False) -> str:
    """With ``link`` (service/briefs.issue_link): the secure link to the incident's brief,
    the only addition; the brief itself is never in an SMS. ``task``: a low incident, a
    task with no warm handoff."""
    if task:
        text = (f"Accepted {code} ({program}). The task is yours: please contact the "
                f"participant today. Nobody else will be paged.")
    else:
        at = f" at {_pretty(hotline_number)}" if hotline_number else ""
        text = (f"Accepted {code} ({program}). It is yours: call the hotline now{at} for the "
                "warm handoff. Nobody else will be paged.")
    if link:
        hours = int(ACCEPTED_LINK_TTL.total_seconds() // 3600)
        text += f" Details ({hours} h, only for you): {link}"
    return text


def already_yours_reply(code: str, hotline_number: str | None) -> str:
    return f"You already accepted {code}.{_hotline(hotline_number)}"


def taken_reply(code: str, by_name: str) -> str:
    return f"{code} was already accepted by {by_name}. No action needed from you."


def closed_reply(code: str) -> str:
    return f"{code} is closed. No action needed from you."


def unknown_code_reply(code: str) -> str:
    return (
        f"No open page {code} was sent to this number. "
        "Check the code in the page you received."
    )


def passed_reply(code: str) -> str:
    return (
        f"Thanks. You passed {code}: the next person is being paged now. "
        f"You can still reply A {code} to take it."
    )


def pass_too_late_reply(code: str) -> str:
    return (
        f"{code} has already moved past you, or nobody is waiting on you. "
        f"Your pass changed nothing. Reply A {code} to take it."
    )


def resolved_reply(code: str) -> str:
    return f"Resolved {code}. The ladder is stopped and nobody else will be paged."


def resolve_not_yours_reply(code: str, by_name: str) -> str:
    return f"{code} was accepted by {by_name}. Only they can resolve it. Nothing changed."


def choose_code_reply(verb: Verb, codes: Sequence[str]) -> str:
    """For a bare A, P or R while several pages are open."""
    if not codes:
        return no_open_pages_reply(verb)
    shown = ", ".join(codes[:CHOOSE_MAX_CODES])
    if len(codes) > CHOOSE_MAX_CODES:
        shown += f" and {len(codes) - CHOOSE_MAX_CODES} more"
    return (
        f"You have {_pages(len(codes))}: {shown}. "
        f"Reply {verb.letter} and the code, for example {verb.letter} {codes[0]}."
    )


def no_open_pages_reply(verb: Verb) -> str:
    return f"You have no open pages to {verb.value}."


def status_reply(pages: Sequence[OpenPage]) -> str:
    """One line per open page, as many as fit in STATUS_MAX characters, then "+N more"."""
    if not pages:
        return "You have no open pages."
    head, tail = "Open pages:", "Reply A, P or R and the code."
    lines = [
        f"{p.code} {p.program} {p.severity.value.upper()} ({PAGE_STATES[p.state]})"
        for p in pages
    ]
    text = "\n".join([head, *lines, tail])
    if len(text) <= STATUS_MAX:
        return text
    budget = STATUS_MAX - len(f"{head}\n\n+{len(lines)} more\n{tail}")
    shown: list[str] = []
    for line in lines:
        if len(line) + 1 > budget:
            break
        shown.append(line)
        budget -= len(line) + 1
    return "\n".join([head, *shown, f"+{len(lines) - len(shown)} more", tail])


_HELP = (
    "A 417 accept. P 417 pass to the next person. R 417 resolved: crisis handled, stops "
    "all paging. A, P or R alone works with one open page. STATUS your open pages. "
    "STOP no more SMS (you get calls instead). START SMS again."
)


def help_reply() -> str:
    return _HELP


def unrecognised_reply() -> str:
    """Takes nothing: the text that was not understood is never echoed back."""
    return f"Sorry, that reply was not understood and changed nothing. {_HELP}"


def opted_in_reply() -> str:
    return "SMS pages are on again for this number. Reply HELP for the replies."


# Alerts to admins


def rota_gap_alert(program: str, code: str, rota: str, reason: str) -> str:
    return f"{program}: incident {code} skipped rota '{rota}': {reason}"


def coverage_at_risk_alert(program: str, name: str) -> str:
    return (
        f"{program}: {name} texted STOP (or their carrier reports them unsubscribed): "
        "no SMS pages reach them; their pages fall back to voice calls until they text "
        "START. Coverage is at risk: check the rota."
    )


def coverage_restored_alert(program: str, name: str) -> str:
    return f"{program}: {name} texted START: SMS pages reach them again."


# Voice calls (text-to-speech)


def voice_page(program: str, severity: Severity, code: str) -> str:
    if severity is Severity.LOW:
        return (
            f"This is crisis pager for {program}. A low priority task, incident "
            f"{_spoken(code)}: please contact the participant today. Press 1 to take it. "
            "Press 2 to pass to the next person. Press 9 to hear this again."
        )
    article = "An" if severity.value[0] in "aeiou" else "A"
    return (
        f"This is crisis pager for {program}. {article} {severity.value} crisis, incident "
        f"{_spoken(code)}, needs an on-call clinician. Press 1 to accept. "
        "Press 2 to pass to the next person. Press 9 to hear this again."
    )


def voice_accepted(code: str, hotline_number: str | None) -> str:
    spoken = _spoken_number(hotline_number)
    call = f"Call the hotline now at {spoken}." if spoken else "Call the hotline now."
    return f"Accepted. Incident {_spoken(code)} is yours. {call} Goodbye."


def voice_passed(code: str) -> str:
    return f"Passed incident {_spoken(code)}. We are paging the next person now. Goodbye."


def voice_closed(code: str) -> str:
    return f"Incident {_spoken(code)} no longer needs you. No action is needed. Goodbye."


def voice_taken(code: str, by_name: str) -> str:
    return (
        f"Incident {_spoken(code)} was already accepted by {by_name}. "
        "No action is needed. Goodbye."
    )


def voice_no_key(sms_stands: bool = False) -> str:
    """``sms_stands``: the call came with an SMS (SMS and voice at once) that still counts,
    so the ladder waits for a reply to it instead of paging the next person now."""
    if sms_stands:
        return "No key was pressed. You can still reply to the text message. Goodbye."
    return "No key was pressed. We will page the next person. Goodbye."


def voice_invalid_key() -> str:
    return "Sorry, that key does nothing here."


def support_person_sms(hotline_number: str) -> str:
    """The one text a consenting support person gets at a local emergency referral. It
    names nobody and no program (a program's name can reveal substance use treatment) and
    says nothing clinical: only that a care team listing them as a support contact asks
    them to call."""
    return (f"This is an automated message. A care team that lists you as a support contact "
            f"asks you to call {_pretty(hotline_number)} as soon as you can.")


# The follow-up after a crisis (F and the code)


def resolved_follow_up_reply(code: str, link: str | None = None) -> str:
    text = (f"Resolved {code}; nobody else will be paged. Please follow up with the "
            f"participant within 24 h: reply F {code} tried after each contact attempt "
            f"(up to 3) and F {code} done when done.")
    return f"{text} Details: {link}" if link else text


def follow_up_attempt_reply(code: str, attempt: int, limit: int) -> str:
    return (f"Contact attempt {attempt} of {limit} recorded for {code}. "
            f"Reply F {code} done when you reach them.")


def follow_up_done_reply(code: str) -> str:
    return f"Follow-up {code} recorded as done. Thank you."


def follow_up_closed_reply(code: str) -> str:
    return f"The follow-up for {code} is already done. No action needed from you."


def follow_up_attempts_full_reply(code: str, limit: int) -> str:
    return (f"{limit} contact attempts are already recorded for {code}. Reply F {code} done "
            "when you reach them; the supervisor is paged if it is still open when due.")


def follow_up_not_yours_reply(code: str) -> str:
    return f"The follow-up for {code} is not assigned to you. Nothing was recorded."


def no_follow_up_reply(code: str | None) -> str:
    if code is None:
        return "You have no open follow-up. Reply F and the code, e.g. F 417 done."
    return f"There is no open follow-up {code} for this number. Nothing was recorded."


def choose_follow_up_reply(codes: Sequence[str]) -> str:
    shown = ", ".join(codes[:8])
    return f"You have several open follow-ups ({shown}). Reply F and the code, e.g. " \
           f"F {codes[0]} done."


def follow_up_overdue_sms(program: str, code: str, owner: str, attempts: int,
                          limit: int) -> str:
    return (f"{program}: TASK, follow-up of incident {code} is overdue (owner {owner}, "
            f"{attempts} of {limit} contact attempts). Reply A {code} to take it over, "
            f"F {code} done if it is done, or P {code} to pass.")


def follow_up_taken_reply(code: str, link: str | None = None) -> str:
    text = (f"The follow-up of {code} is yours now. Reply F {code} tried after each "
            f"contact attempt and F {code} done when done.")
    return f"{text} Details: {link}" if link else text


def voice_follow_up(program: str, code: str) -> str:
    """The call of an overdue follow-up's page (the SMS could not reach the supervisor)."""
    return (
        f"This is crisis pager for {program}. The follow-up of incident {_spoken(code)} is "
        "overdue. Press 1 to take it over. Press 2 to pass to the next person. Press 9 to "
        "hear this again."
    )


def voice_follow_up_taken(code: str) -> str:
    return (f"The follow-up of incident {_spoken(code)} is yours now. Reply F {_spoken(code)} "
            "done by text when it is done. Goodbye.")

