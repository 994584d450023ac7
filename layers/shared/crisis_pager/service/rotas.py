"""Rotas as admins keep them: coverage reports, and alerting admins when an edit breaks
coverage. Used by the rota guard (every edit and a daily run) and the CLI."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..domain.edits import Edit
from ..domain.errors import SmsError
from ..domain.program import stand_in
from ..domain.schedule import CoverageReport, Problem, Schedule, coverage, when
from .ports.clock import Clock
from .ports.directory import Directory, ProgramIndex
from .ports.messaging import Alerts, Sms

COVERAGE_DAYS = 14
SMS_LIMIT = 320  # two segments at most for an admin alert


@dataclass(frozen=True)
class ProgramCheck:
    program_id: str
    display_name: str
    report: CoverageReport
    admin_phones: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.report.ok


def check_program(
    program_id: str, *, directory: Directory, clock: Clock, days: int = COVERAGE_DAYS,
    start: datetime | None = None,
) -> ProgramCheck:
    """Validate every item of a program and compute who covers each role for ``days``."""
    start = start or clock.now()
    schedule = directory.schedule(program_id)
    roles: list[str]
    program = directory.program(program_id)
    if program is not None:
        roles, name, admins = program.roles(), program.display_name, program.admin_phones
        # malformed fields read as stand-ins (crises are still paged); the admins' to fix
        program_problems = [Problem("invalid_item", f"{p}; meanwhile: {stand_in(p.field)}")
                            for p in program.problems]
    else:
        roles, name, admins = _default_roles(schedule), program_id, ()
        program_problems = [
            Problem("invalid_item", f"programs item {program_id} / program: does not exist")]
    ids = sorted({m for r in schedule.rotas for m in r.members}
                 | {o.clinician_id for o in schedule.overrides})
    report = coverage(schedule, roles, directory.clinicians(ids), start, days)
    if program_problems:
        report = dataclasses.replace(report, problems=(*program_problems, *report.problems))
    return ProgramCheck(program_id, name, report, admins)


def _default_roles(schedule: Schedule) -> list[str]:
    known = ["primary", "backup", "supervisor"]
    return [r for r in known if r in schedule.roles] or known



def alert_admins(check: ProgramCheck, cause: str, *, alerts: Alerts, sms: Sms | None) -> int:
    """Tell the program's admins (SNS for e-mail, SMS to admin_phones). Returns texts sent."""
    if check.ok:
        return 0
    lines = [f"{check.display_name}: {len(check.report.problems)} coverage problem(s) "
             f"after {cause}, checked {when(check.report.start, check.report.zone)} for "
             f"{COVERAGE_DAYS} days.", ""]
    lines += [f"- {p.message}" for p in check.report.problems]
    lines += ["", f"Run 'crisis-pager rota check {check.program_id}' for the full report."]
    alerts.publish(check.program_id, f"crisis-pager: rota problem in {check.display_name}",
                   "\n".join(lines))
    sent = 0
    if sms is not None:
        text = admin_sms(check, cause)
        for phone in check.admin_phones:
            try:
                sms.send(phone, text)
                sent += 1
            except SmsError:
                continue  # the SNS alert above still reached the admins
    return sent


def admin_sms(check: ProgramCheck, cause: str) -> str:
    """The text for admins' phones: what is wrong first (an invalid item, the same person on
    two rungs, ...), then the first window nobody can be paged in. At most SMS_LIMIT."""
    report = check.report
    gap = report.first_gap()
    lead = next((p for p in report.problems if p.kind != "gap"), None)
    parts = [f"crisis-pager: {check.display_name} rota problem after {cause}:"]
    if lead is not None:
        parts.append(f"{lead.message}.")
    if gap is not None and gap.start is not None and gap.end is not None:
        if lead is None:
            parts.append(f"{gap.message}.")
        else:
            parts.append(f"First uncovered window: {gap.role} from "
                         f"{when(gap.start, report.zone)} to {when(gap.end, report.zone)}.")
    more = len(report.problems) - (lead is not None) - (gap is not None)
    if more > 0:
        parts.append(f"(+{more} more; details by e-mail)")
    text = " ".join(parts)
    return text if len(text) <= SMS_LIMIT else text[: SMS_LIMIT - 1] + "…"


# ---------------------------------------------------------------- the rota guard

DAILY_CHECK = "the daily check"


def edits_in_words(labels: list[str]) -> str:
    """"an edit of rota#backup", "edits of rota#primary and clinician clin-ana", ..."""
    if len(labels) == 1:
        return f"an edit of {labels[0]}"
    if len(labels) <= 3:
        return f"edits of {', '.join(labels[:-1])} and {labels[-1]}"
    return f"edits of {labels[0]}, {labels[1]} and {len(labels) - 2} more items"


def programs_edited(edits: Iterable[Edit], *, index: ProgramIndex) -> dict[str, str]:
    """Each program the edits may affect, once, with the edits that affect it in words.

    A programs item affects its own program; a clinician item affects every program whose
    rotas or overrides name the clinician (looked up once per clinician).
    """
    labels: dict[str, list[str]] = {}
    naming: dict[str, list[str]] = {}
    for edit in edits:
        if edit.program_id is not None:
            programs = [edit.program_id]
        else:
            if edit.item not in naming:
                naming[edit.item] = index.programs_naming(edit.item)
            programs = naming[edit.item]
        for program_id in programs:
            seen = labels.setdefault(program_id, [])
            if edit.label not in seen:
                seen.append(edit.label)
    return {program_id: edits_in_words(seen) for program_id, seen in labels.items()}


@dataclass
class GuardRun:
    """What one run of the rota guard did. Program ids only: no member ids, no phones."""

    checked: list[str] = field(default_factory=list)
    problems: dict[str, int] = field(default_factory=dict)  # programs not OK -> problems
    alerted: list[str] = field(default_factory=list)
    texts_sent: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # program -> error type

    @property
    def problem_count(self) -> int:
        return sum(self.problems.values())

    def as_dict(self) -> dict[str, Any]:
        return {"checked": list(self.checked), "problems": dict(self.problems),
                "alerted": list(self.alerted), "texts_sent": self.texts_sent,
                "failed": dict(self.failed)}


def guard(
    causes: Mapping[str, str], *, directory: Directory, clock: Clock, alerts: Alerts,
    sms: Callable[[], Sms | None],
) -> GuardRun:
    """Check each program (``causes``: program id -> what prompted the check, in words) and
    alert its admins about any problem.

    ``sms`` builds the SMS port only when a text is due; it returns None when SMS cannot be
    sent (the e-mail alert still goes out). A program whose check or alert fails is
    recorded in ``failed`` and the others are still checked: the caller decides to retry.
    """
    run = GuardRun()
    for program_id, cause in causes.items():
        try:
            check = check_program(program_id, directory=directory, clock=clock)
            run.checked.append(program_id)
            if check.ok:
                continue
            run.problems[program_id] = len(check.report.problems)
            run.texts_sent += alert_admins(check, cause, alerts=alerts,
                                           sms=sms() if check.admin_phones else None)
            run.alerted.append(program_id)
        except Exception as exc:  # noqa: BLE001 - one program's failure never hides another's
            run.failed[program_id] = type(exc).__name__
    return run
