"""Rotas as admins keep them: coverage reports, and alerting admins when an edit breaks
coverage. Used by the rota guard (every edit and a daily run) and the CLI."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from ..domain.errors import InvalidItem, SmsError
from ..domain.schedule import CoverageReport, Problem, Schedule, coverage, when
from .ports import Alerts, Clock, Directory, Sms

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
    program_problem: Problem | None = None
    roles: list[str]
    try:
        program = directory.program(program_id)
    except InvalidItem as exc:
        program, program_problem = None, Problem("invalid_item", str(exc))
    if program is not None:
        roles, name, admins = program.roles(), program.display_name, program.admin_phones
    else:
        roles, name, admins = _default_roles(schedule), program_id, ()
        if program_problem is None:
            program_problem = Problem(
                "invalid_item", f"programs item {program_id} / program: does not exist")
    ids = sorted({m for r in schedule.rotas for m in r.members}
                 | {o.clinician_id for o in schedule.overrides})
    report = coverage(schedule, roles, directory.clinicians(ids), start, days)
    if program_problem is not None:
        report = dataclasses.replace(report, problems=(program_problem, *report.problems))
    return ProgramCheck(program_id, name, report, admins)


def _default_roles(schedule: Schedule) -> list[str]:
    known = ["primary", "backup", "supervisor"]
    return [r for r in known if r in schedule.roles] or known


def summary(check: ProgramCheck) -> str:
    """Plain words for an admin: the count, the first uncovered window, the first problem."""
    report = check.report
    if report.ok:
        return f"{check.display_name}: rotas OK for the next {COVERAGE_DAYS} days."
    first_gap = report.first_gap()
    lead = first_gap or report.problems[0]
    more = len(report.problems) - 1
    text = f"{check.display_name} rota problem: {lead.message}"
    if more:
        text += f" (+{more} more)"
    return text


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
        text = f"crisis-pager: {summary(check)}"
        if len(text) > SMS_LIMIT:
            text = text[: SMS_LIMIT - 1] + "…"
        for phone in check.admin_phones:
            try:
                sms.send(phone, text)
                sent += 1
            except SmsError:
                continue  # the SNS alert above still reached the admins
    return sent

