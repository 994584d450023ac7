"""The clinician's brief as the secure link shows it: the preview before it is opened, the
brief itself (summary, screener answers, safety plan, follow-up), and their JSON. Pure:
built from the incident, the link and the participant, time passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .brief import OPEN_ACTION, BriefLink, Purpose, follow_up_owner, neutral_data
from .incident import FOLLOW_UP_ATTEMPTS, Incident
from .participant import Participant
from .screener import QUESTIONS, RECENCY, Screen


@dataclass(frozen=True)
class Preview:
    """What a GET of a live link shows (the interstitial): nothing the SMS did not already
    carry, so a link-preview fetcher learns nothing. ``viewer_id`` and ``purpose`` are for
    the timeline and logs, not shown."""

    incident_id: str
    program_name: str
    code: str
    viewer_id: str
    purpose: Purpose


SCREENER_TEXT: dict[str, str] = {  # the C-SSRS screen's questions, as the hotline asked them
    "1": "Wished you were dead or wished you could go to sleep and not wake up? (past month)",
    "2": "Actually had any thoughts of killing yourself? (past month)",
    "3": "Been thinking about how you might do this?",
    "4": "Had these thoughts and had some intention of acting on them?",
    "5": "Started to work out or worked out the details of how to kill yourself? "
         "Intend to carry out this plan?",
    "6": "Ever done anything, started to do anything, or prepared to do anything to end "
         "your life?",
    RECENCY: "If so: was it within the past 3 months?",
}

RESOURCE_LABELS: dict[str, str] = {
    "crisis_line": "Local crisis line",
    "mobile_crisis_team": "Mobile crisis team",
    "emergency_department": "Nearest emergency department",
    "emergency_department_phone": "Emergency department phone",
    "emergency_call_center": "Local emergency call center (10-digit)",
    "source": "Source",
    "made_at": "Made at",
}


@dataclass(frozen=True)
class ScreenerAnswer:
    question: str  # "1".."6", "6_past_3_months"
    text: str
    answer: bool | None  # None: not asked (the screen skips 3-5 when 2 is no)


@dataclass(frozen=True)
class FollowUp:
    """The follow-up task as the brief shows it (when the incident has one)."""

    state: str  # "due", "overdue", "taken over by <name>", "done"
    due_at: datetime
    attempts: tuple[datetime, ...]
    owner: str | None  # clinician id
    open: bool  # contact attempts and "done" can still be recorded
    done_at: datetime | None = None
    done_by: str | None = None  # a name

    @property
    def max_attempts(self) -> int:
        return FOLLOW_UP_ATTEMPTS

    @property
    def can_attempt(self) -> bool:
        return self.open and len(self.attempts) < FOLLOW_UP_ATTEMPTS


@dataclass(frozen=True)
class Brief:
    incident_id: str
    program_name: str
    code: str
    severity: str
    status: str
    opened_at: datetime
    accepted_by: str | None  # a name (or the id, when the clinician item is unreadable)
    accepted_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    summary: str
    screener: tuple[ScreenerAnswer, ...] | None
    screener_severity: str | None
    referral: tuple[tuple[str, str], ...] | None  # (label, value)
    participant: Participant | None
    participant_problem: str | None  # why the participant's details are not shown
    follow_up: FollowUp | None
    viewer_id: str
    viewer_name: str
    purpose: Purpose
    link_expires_at: datetime
    now: datetime
    notice: str | None = None  # the outcome of a form just posted

    @property
    def can_record_follow_up(self) -> bool:
        """May the viewer record an attempt or close the follow-up from this page?"""
        return (self.follow_up is not None and self.follow_up.open
                and self.follow_up.owner == self.viewer_id)


def screener_answers(answers: dict[str, bool] | None
                     ) -> tuple[tuple[ScreenerAnswer, ...], str] | None:
    if answers is None:
        return None
    rows = tuple(ScreenerAnswer(q, SCREENER_TEXT[q], answers.get(q))
                 for q in (*QUESTIONS, RECENCY)
                 if q != RECENCY or RECENCY in answers)
    return rows, Screen(dict(answers)).severity.value


def follow_up_view(incident: Incident, names: dict[str, str], now: datetime
                   ) -> FollowUp | None:
    """The incident's follow-up, if it has one."""
    due = incident.follow_up_due_at
    if due is None:
        return None
    owner = follow_up_owner(incident)
    if incident.follow_up_done_at is not None:
        state = "done"
    elif incident.follow_up_taken_at is not None:
        state = f"taken over by {names.get(owner, owner) if owner else 'the supervisor'}"
    else:
        state = "overdue" if now >= due else "due"
    done_by = incident.follow_up_done_by
    return FollowUp(state=state, due_at=due, attempts=tuple(incident.follow_up_attempts),
                    owner=owner, open=incident.follow_up_open,
                    done_at=incident.follow_up_done_at,
                    done_by=names.get(done_by, done_by) if done_by else None)


def build_brief(incident: Incident, link: BriefLink, *, program_name: str,
                names: dict[str, str], participant: Participant | None,
                participant_problem: str | None, now: datetime,
                notice: str | None = None) -> Brief:
    """The view of ``incident`` for the link's clinician. ``names``: clinician id -> name."""
    screen = screener_answers(incident.screener)
    referral = None
    if incident.referral:
        referral = tuple((RESOURCE_LABELS.get(k, k.replace("_", " ").capitalize()), str(v))
                         for k, v in incident.referral.items())

    def name(cid: str | None) -> str | None:
        return names.get(cid, cid) if cid else None

    return Brief(
        incident_id=incident.incident_id,
        program_name=program_name,
        code=incident.code,
        severity=incident.severity.value,
        status=incident.status.value,
        opened_at=incident.opened_at,
        accepted_by=name(incident.accepted_by),
        accepted_at=incident.accepted_at,
        resolved_by=name(incident.resolved_by),
        resolved_at=incident.resolved_at,
        summary=incident.summary,
        screener=screen[0] if screen else None,
        screener_severity=screen[1] if screen else None,
        referral=referral,
        participant=participant,
        participant_problem=None if participant is not None else (
            participant_problem or "No participant record was found for this incident."),
        follow_up=follow_up_view(incident, names, now),
        viewer_id=link.clinician_id,
        viewer_name=names.get(link.clinician_id, link.clinician_id),
        purpose=link.purpose,
        link_expires_at=link.expires_at,
        now=now,
        notice=notice,
    )


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def preview_json(preview: Preview) -> dict[str, Any]:
    """What a GET of a live link answers in JSON: what the SMS already carried, and how to
    open the brief (the same POST the page's button makes). Bidi controls neutral."""
    return neutral_data({
        "incident": {"incident_id": preview.incident_id, "program": preview.program_name,
                     "code": preview.code},
        "open": {"method": "POST", "form": {"action": OPEN_ACTION}},
    })


def brief_json(brief: Brief) -> dict[str, Any]:
    """The brief as JSON-ready data (the page's content, nothing more), its text with every
    bidi control shown as BIDI_SHOWN, as the page shows it."""
    participant: dict[str, Any] | None = None
    p = brief.participant
    if p is not None:
        participant = {
            "participant_id": p.participant_id,
            "preferred_name": p.preferred_name,
            "plan_version": p.version,
            "plan_updated_at": _iso(p.updated_at),
            "safety_plan": [{"section": field, "title": title, "entries": list(entries)}
                            for field, title, entries in p.plan.sections()],
            "support_persons": [
                {"name": s.name, "relationship": s.relationship, "phone": s.phone,
                 "consent_to_notify": s.consent_to_notify}
                for s in p.support_persons],
            "location": None if p.location is None else {
                "description": p.location.description,
                "confirmed_at": _iso(p.location.confirmed_at),
                "resources": p.location.resources.as_dict(),
            },
        }
    f = brief.follow_up
    return neutral_data({
        "incident": {
            "incident_id": brief.incident_id,
            "program": brief.program_name,
            "code": brief.code,
            "severity": brief.severity,
            "status": brief.status,
            "opened_at": _iso(brief.opened_at),
            "accepted_by": brief.accepted_by,
            "accepted_at": _iso(brief.accepted_at),
            "resolved_by": brief.resolved_by,
            "resolved_at": _iso(brief.resolved_at),
            "summary": brief.summary,
            "screener": None if brief.screener is None else {
                "severity": brief.screener_severity,
                "answers": [{"question": a.question, "text": a.text, "answer": a.answer}
                            for a in brief.screener],
            },
            "referral": None if brief.referral is None else dict(brief.referral),
        },
        "participant": participant,
        "participant_problem": brief.participant_problem,
        "follow_up": None if f is None else {
            "state": f.state, "due_at": _iso(f.due_at),
            "attempts": [_iso(a) for a in f.attempts], "max_attempts": f.max_attempts,
            "owner": f.owner, "done_at": _iso(f.done_at), "done_by": f.done_by,
            "can_record": brief.can_record_follow_up,
        },
        "link": {"for": brief.viewer_id, "purpose": brief.purpose.value,
                 "expires_at": _iso(brief.link_expires_at)},
        "notice": brief.notice,
    })
