"""`crisis-pager rota ...`: a program's rotas from the command line, against a real table
or the local stack (the `make serve` prompt runs the same commands in-process).

    crisis-pager [GLOBAL OPTIONS] rota show PROGRAM [--at ISO] [--handoffs N]
    crisis-pager [GLOBAL OPTIONS] rota check PROGRAM [--days 14] [--at ISO]
    crisis-pager [GLOBAL OPTIONS] rota export PROGRAM [-o FILE]
    crisis-pager [GLOBAL OPTIONS] rota import FILE [--dry-run] [--strict]
    crisis-pager [GLOBAL OPTIONS] rota override PROGRAM ROLE CLINICIAN \\
        --from "2026-11-24 18:00" --to "2026-11-25 08:00" [--timezone TZ]
    crisis-pager [GLOBAL OPTIONS] participant put|show|history|locate ...
        (participants' safety plans, versioned: see admin/participant_cli.py)

Global options (before or after the command): --region, --endpoint-url (e.g. a moto or
DynamoDB Local server), --programs-table, --clinicians-table, --participants-table. They
default to the environment (AWS_REGION, AWS_ENDPOINT_URL, PROGRAMS_TABLE, CLINICIANS_TABLE,
PARTICIPANTS_TABLE) and then to the deployed names (crisis-pager-programs, ...).

Exit status: 0 done (`check`: no problems); 1 a problem was found (`check` found coverage
problems, an import file or an override is invalid, a write failed); 2 usage or
configuration (bad arguments, unknown program, table not reachable).

`show` prints who is on call for each role the ladders page at an instant (default now)
and at the next N changes of who is on call. Phone numbers are masked (+1 503-***-0101).
`check` is the rota guard's check: every item validated, then who covers each role for
``--days`` days, in the program's display zone, and every problem.

The import/export file (YAML; see docs/rotas.example.yaml):

    program: west-iop
    rotas:
      - name: primary                  # the item rota#primary; a variant: primary#weeknights
        timezone: America/Los_Angeles  # IANA name
        handoff: "08:00"               # local wall-clock time of each handoff
        shift_days: 7                  # or shift_hours: 12 (1, 2, 3, 4, 6, 8, 12 or n*24)
        starts_on: "2026-11-02"        # the first shift starts at the handoff on this day
        members: [clin-ana, clin-ben]  # clinician ids, in rotation order
        active: ["Mon-Fri 18:00-08:00"]   # optional: the only hours this rota covers
    overrides:                         # optional
      - rota: primary                  # the role covered
        clinician: clin-ben
        starts: "2026-11-24 18:00"     # local time in `timezone`
        ends: "2026-11-25 08:00"
        timezone: America/Los_Angeles  # optional on import: the role's first rota's zone
        created_at: "2026-11-20T10:15:00Z"   # optional on import (the stored one, else now)
        key: override#primary#20261124T1800#3fa2   # optional on import (derived from the
                                                   # fields, so re-importing changes nothing)

Times, dates and `18:00` are read as the text they look like (quotes are optional).
An import validates the whole file first (every field, every clinician id against the
clinicians table, duplicate names) and writes nothing when anything is wrong, listing every
error with its place (`rotas[1] (primary#nights): field 'handoff' ...`). It then shows the
14-day coverage of the schedule it would write (gaps are warnings; `--strict` refuses
them) and what changes (`+` added, `~` changed, `-` removed: a rota or override of the
program that is not in the file is deleted). The write is one DynamoDB transaction: all of
it or nothing. `export` writes the same format, so export -> import changes nothing.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import secrets
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crisis_pager.domain.errors import InvalidItem
from crisis_pager.domain.program import Clinician, Program
from crisis_pager.domain.schedule import (
    CoverageReport,
    Schedule,
    Segment,
    coverage,
    display_zone,
    override_from_fields,
    when,
)
from crisis_pager.service.rota_import import (
    DEFAULT_ROLES,
    OVERRIDE_FIELDS,
    ROTA_FIELDS,
    ImportContext,
    diff,
    error_order,
    plan_import,
)

PROG = "crisis-pager"
COVERAGE_DAYS = 14
MAX_HORIZON_DAYS = 120  # how far `show` looks for the next handoffs
_LOOKS_TIMELIKE = re.compile(r"[0-9][0-9:. TZ+-]*")
_ENV = {  # option -> environment variables it sets (read by crisis_pager.config / botocore)
    "region": ("AWS_REGION", "AWS_DEFAULT_REGION"),
    "endpoint_url": ("AWS_ENDPOINT_URL",),
    "programs_table": ("PROGRAMS_TABLE",),
    "clinicians_table": ("CLINICIANS_TABLE",),
    "participants_table": ("PARTICIPANTS_TABLE",),
}


class CliError(Exception):
    """One line for stderr and the exit status."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def _out(text: str = "") -> None:
    print(text)


def _err(text: str) -> None:
    print(text, file=sys.stderr)


# ------------------------------------------------------------------ environment and adapters


@contextmanager
def _environment(args: argparse.Namespace) -> Iterator[None]:
    """Apply the global options to the environment for this command (restored after, so an
    in-process run leaves nothing behind); the settings read from it bind the tables."""
    saved: dict[str, str | None] = {}
    for option, names in _ENV.items():
        value = getattr(args, option, None)
        if value:
            for name in names:
                saved.setdefault(name, os.environ.get(name))
                os.environ[name] = value
    from crisis_pager import config

    config.settings.cache_clear()
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old
        config.settings.cache_clear()


@dataclass
class Context:
    schedules: ModuleType  # crisis_pager.adapters.dynamo.schedules: the admin writes
    directory: Any  # DynamoDirectory
    now: datetime
    clock: Any
    settings: Any  # crisis_pager.config.Settings: the tables this command uses

    @property
    def programs_table(self) -> str:
        return str(self.settings.programs_table)

    @property
    def clinicians_table(self) -> str:
        return str(self.settings.clinicians_table)

    @property
    def region(self) -> str:
        return str(self.settings.region)


def bind_tables(args: argparse.Namespace) -> Any:
    """Bind the DynamoDB models to the tables the options name (the settings). In-process
    (make serve, tests) they are bound already: another table is refused, never rebound
    under the running stack."""
    from crisis_pager.adapters.dynamo import tables
    from crisis_pager.config import settings

    already = tables.bound()
    if already is not None:
        for option in ("programs_table", "clinicians_table", "participants_table", "region"):
            wanted = getattr(args, option, None)
            value = getattr(already, option)
            if wanted and wanted != value:
                flag = "--" + option.replace("_", "-")
                raise CliError(f"{flag} {wanted}: this process already uses {value}; run "
                               f"{PROG} on its own to use another")
        return already
    tables.bind(settings())
    return settings()


def _context(args: argparse.Namespace) -> Context:
    bound = bind_tables(args)
    from crisis_pager import bootstrap
    from crisis_pager.adapters.dynamo import schedules
    from crisis_pager.adapters.dynamo.directory import DynamoDirectory

    clock = bootstrap.clock()
    return Context(schedules, DynamoDirectory(), clock.now(), clock, bound)


def _aws_failure(exc: Exception) -> str | None:
    """One line for an AWS/PynamoDB failure, or None when ``exc`` is not one."""
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    cause: BaseException | None = exc
    if isinstance(exc, PynamoDBException):
        cause = exc.cause
        if exc.cause_response_code:
            return (f"DynamoDB refused ({exc.cause_response_code}): "
                    f"{exc.cause_response_message}{_where()}")
    if isinstance(cause, ClientError):
        return f"AWS refused: {cause}{_where()}"
    if isinstance(cause, BotoCoreError):
        return f"cannot reach DynamoDB: {cause}{_where()}"
    if isinstance(exc, PynamoDBException):
        return f"DynamoDB failed: {exc}{_where()}"
    return None


def _where() -> str:
    from crisis_pager.adapters.dynamo import tables

    bound = tables.bound()
    if bound is None:
        return ""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    return (f" (tables {bound.programs_table}, {bound.clinicians_table}; region "
            f"{bound.region}" + (f"; endpoint {endpoint})" if endpoint else ")"))


# ------------------------------------------------------------------ reading a program


@dataclass
class ProgramView:
    program_id: str
    program: Program | None
    program_problem: str | None
    schedule: Schedule
    roles: list[str]  # as the ladders page them, then any other role the schedule covers
    zone: ZoneInfo
    clinicians: dict[str, Clinician | InvalidItem | None]

    @property
    def name(self) -> str:
        return self.program.display_name if self.program else self.program_id

    def person(self, clinician_id: str | None, phone: bool = False) -> str:
        if clinician_id is None:
            return "nobody"
        item = self.clinicians.get(clinician_id)
        if isinstance(item, Clinician):
            return f"{item.name} ({clinician_id}{', ' + mask(item.phone) if phone else ''})"
        why = "no clinician item" if item is None else "invalid clinician item"
        return f"{clinician_id} ({why}: cannot be paged)"


def _load(ctx: Context, program_id: str) -> ProgramView:
    schedule = ctx.directory.schedule(program_id)
    problem: str | None = None
    try:
        program = ctx.directory.program(program_id)
    except InvalidItem as exc:
        program, problem = None, str(exc)
    if program is None and problem is None:
        if not (schedule.rotas or schedule.overrides or schedule.invalid):
            raise CliError(f"no program '{program_id}' in table {ctx.programs_table} "
                           f"({ctx.region})")
        problem = f"programs item {program_id} / program: does not exist"
    ladder = program.roles() if program else [r for r in DEFAULT_ROLES if r in schedule.roles]
    roles = ladder + [r for r in schedule.roles if r not in ladder]
    ids = sorted({m for r in schedule.rotas for m in r.members}
                 | {o.clinician_id for o in schedule.overrides})
    return ProgramView(program_id, program, problem, schedule, roles or list(DEFAULT_ROLES),
                       display_zone(schedule), ctx.directory.clinicians(ids))


def mask(phone: str) -> str:
    """+15035550101 -> '+1 503-***-0101'; other countries keep only the last four digits."""
    if re.fullmatch(r"\+1[0-9]{10}", phone):
        return f"+1 {phone[2:5]}-***-{phone[-4:]}"
    return f"{phone[:3]}***{phone[-4:]}" if len(phone) > 7 else "***"


def _instant(text: str | None, zone: ZoneInfo, default: datetime) -> datetime:
    """An ISO instant; without an offset it is a wall-clock time in the program's zone."""
    if not text:
        return default
    try:
        parsed = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise CliError(f"--at '{text}' is not an ISO time like 2026-11-24T18:00:00Z or "
                       "'2026-11-24 18:00' (the program's local time)") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).astimezone(UTC)


def _span(seg: Segment, zone: ZoneInfo) -> str:
    return f"{when(seg.start, zone)} - {when(seg.end, zone)}"


# ------------------------------------------------------------------ show


def cmd_show(args: argparse.Namespace) -> int:
    ctx = _context(args)
    view = _load(ctx, args.program)
    at = _instant(args.at, view.zone, ctx.now)
    if args.handoffs < 0:
        raise CliError("--handoffs must be 0 or more")
    report = coverage(view.schedule, view.roles, view.clinicians, at, COVERAGE_DAYS)
    changes = _changes(report)
    days = COVERAGE_DAYS
    while len(changes) < args.handoffs and days < MAX_HORIZON_DAYS:
        days = min(days * 2, MAX_HORIZON_DAYS)
        changes = _changes(coverage(view.schedule, view.roles, view.clinicians, at, days))
    report_end = at + timedelta(days=days)
    zone, width = view.zone, max(len(r) for r in view.roles)
    _out(f"{view.name} ({view.program_id}), times in {zone.key}")
    if view.program_problem:
        _out(f"warning: {view.program_problem}")
    _out()
    _out(f"On call at {when(at, zone)}:")
    for role in view.roles:
        seg = report.segments[role][0]
        until = (f"until {when(seg.end, zone)}" if seg.end < report.end
                 else f"no change for {COVERAGE_DAYS} days")
        _out(f"  {role:<{width}}  {_answer(view, seg)}  {until}")
    if args.handoffs:
        _out()
        _out("Next handoffs:" if changes else f"No handoffs in the next {days} days.")
        for instant, segs in changes[: args.handoffs]:
            for i, seg in enumerate(segs):
                lead = when(instant, zone) if i == 0 else ""
                _out(f"  {lead:<{len(when(instant, zone))}}  {seg.role:<{width}}  "
                     f"{_answer(view, seg)}")
        if changes and len(changes) < args.handoffs:
            _out(f"  (no more until {when(report_end, zone)})")
    if not report.ok:
        _out()
        _out(f"{len(report.problems)} problem(s) in the next {COVERAGE_DAYS} days: run "
             f"'{PROG} rota check {view.program_id}'.")
    return 0


def _answer(view: ProgramView, seg: Segment) -> str:
    if seg.clinician_id is None:
        return f"NOBODY: {seg.gap_reason}"
    return f"{view.person(seg.clinician_id, phone=True)}  [{seg.source}]"


def _changes(report: CoverageReport) -> list[tuple[datetime, list[Segment]]]:
    """Each instant at which who is on call for some role changes, with the new answers."""
    by_instant: dict[datetime, list[Segment]] = {}
    for role in report.segments:
        for seg in report.segments[role][1:]:
            by_instant.setdefault(seg.start, []).append(seg)
    return sorted(by_instant.items())


# ------------------------------------------------------------------ check


def cmd_check(args: argparse.Namespace) -> int:
    from crisis_pager.service.rotas import check_program

    if not 1 <= args.days <= 366:
        raise CliError("--days must be between 1 and 366")
    ctx = _context(args)
    view = _load(ctx, args.program)  # an unknown program is a usage error, not a problem
    start = _instant(args.at, view.zone, ctx.now)
    check = check_program(args.program, directory=ctx.directory, clock=ctx.clock,
                          days=args.days, start=start)
    report, zone = check.report, check.report.zone
    _out(f"{check.display_name} ({check.program_id}): who covers each role from "
         f"{when(report.start, zone)} for {args.days} days (times in {zone.key})")
    for role, segs in report.segments.items():
        _out()
        _out(role)
        for seg in segs:
            who = (f"{view.person(seg.clinician_id)}  [{seg.source}]" if seg.clinician_id
                   else f"NOBODY: {seg.gap_reason}")
            _out(f"  {_span(seg, zone)}  {who}")
    _out()
    if report.ok:
        _out(f"OK: no problems in the next {args.days} days.")
        return 0
    _out(f"{len(report.problems)} problem(s):")
    for p in report.problems:
        _out(f"  - {p.message}")
    first = report.first_gap()
    if first is not None:
        _out()
        _out(f"First uncovered window: {first.role} from {when(first.start or report.start, zone)}"
             f" to {when(first.end or report.end, zone)}.")
    return 1


# ------------------------------------------------------------------ YAML


def _yaml() -> ModuleType:
    try:
        import yaml
    except ImportError:
        raise CliError("PyYAML is needed for import and export: "
                       "pip install 'crisis-pager[admin]'") from None
    return yaml


def _loader() -> type:
    """yaml.SafeLoader, except that dates, times and 18:00 stay the text they look like
    (YAML 1.1 would make 2026-11-02 a date and 18:00 the number 1080), and a key given
    twice in one mapping is an error instead of silently keeping the last."""
    yaml = _yaml()
    int_tag, float_tag = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
    dropped = {int_tag, float_tag, "tag:yaml.org,2002:timestamp"}

    class RotaLoader(yaml.SafeLoader):  # type: ignore[name-defined,misc]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, str | int | float | bool):
                    continue
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key '{key}' is given twice", key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep)

    RotaLoader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in dropped]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    RotaLoader.add_implicit_resolver(int_tag, re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"),
                                     list("-+0123456789"))
    RotaLoader.add_implicit_resolver(
        float_tag, re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
        list("-+0123456789."))
    return RotaLoader


class _Dumper:
    """A SafeDumper that writes lists of plain values on one line ([clin-ana, clin-ben])."""

    @staticmethod
    def make() -> type:
        yaml = _yaml()

        class Dumper(yaml.SafeDumper):  # type: ignore[name-defined,misc]
            pass

        def represent_list(dumper: Any, data: list[Any]) -> Any:
            flow = all(isinstance(x, str | int | float) for x in data)
            return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)

        def represent_str(dumper: Any, data: str) -> Any:
            # "08:00", "2026-11-02": quoted, as in the docs, so any YAML reader keeps them text
            style = '"' if _LOOKS_TIMELIKE.fullmatch(data) else None
            return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

        Dumper.add_representer(list, represent_list)
        Dumper.add_representer(str, represent_str)
        return Dumper





# ------------------------------------------------------------------ export


def _export_document(program_id: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    rotas, overrides = [], []
    for item in items:
        key = item["key"]
        if key.startswith("rota#"):
            rotas.append({"name": key.removeprefix("rota#"),
                          **{f: item[f] for f in ROTA_FIELDS if f in item}})
        else:
            overrides.append({**{f: item[f] for f in OVERRIDE_FIELDS if f in item}, "key": key})
    return {"program": program_id, "rotas": rotas, "overrides": overrides}


def cmd_export(args: argparse.Namespace) -> int:
    ctx = _context(args)
    _load(ctx, args.program)  # an unknown program is an error, not an empty file
    try:
        items = ctx.schedules.raw_schedule_items(args.program)
    except InvalidItem as exc:
        raise CliError(f"cannot export: {exc}", 1) from None
    doc = _export_document(args.program, items)
    header = (f"# crisis-pager rotas of {args.program}, exported "
              f"{ctx.now.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} from "
              f"{ctx.programs_table}.\n# Edit, then: {PROG} rota import FILE --dry-run\n")
    text = header + _yaml().dump(doc, Dumper=_Dumper.make(), sort_keys=False,
                                 allow_unicode=True, width=100)
    if args.output and args.output != "-":
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {args.output}: {exc.strerror}") from None
        _out(f"wrote {len(doc['rotas'])} rota(s) and {len(doc['overrides'])} override(s) "
             f"of {args.program} to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


# ------------------------------------------------------------------ import





def _read_file(path: str) -> Any:
    yaml = _yaml()
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return yaml.load(text, Loader=_loader())  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CliError(f"{path}: not valid YAML: {problem}{where}; nothing was written",
                       1) from None


def cmd_import(args: argparse.Namespace) -> int:
    doc = _read_file(args.file)
    ctx = _context(args)
    errors: list[str] = []
    unreadable: list[str] = []
    stored: dict[str, dict[str, dict[str, Any]]] = {}

    def existing(program_id: str) -> dict[str, dict[str, Any]]:
        if program_id not in stored:
            try:
                stored[program_id] = {i["key"]: i
                                      for i in ctx.schedules.raw_schedule_items(program_id)}
            except InvalidItem as exc:  # a stored item of the wrong type: replaced all the same
                unreadable.append(str(exc))
                stored[program_id] = {}
        return stored[program_id]

    plan = plan_import(ImportContext(ctx.directory, ctx.now, ctx.programs_table,
                                     ctx.clinicians_table), doc, existing, errors)
    current = existing(plan.program_id) if plan is not None else {}
    if plan is not None:
        limit = int(ctx.schedules.TRANSACTION_LIMIT)
        removed = [k for k in current if k not in {i["key"] for i in plan.items}]
        if len(plan.items) + len(removed) > limit:
            errors.append(f"the import writes {len(plan.items)} and deletes {len(removed)} "
                          f"items; one transaction takes at most {limit}")
    if errors or plan is None:
        _err(f"{args.file}: {len(errors)} error(s); nothing was written:")
        for e in sorted(errors, key=error_order):
            _err(f"  {e}")
        return 1

    report = coverage(plan.schedule, plan.roles, plan.clinicians, ctx.now, COVERAGE_DAYS)
    for w in plan.warnings:
        _out(f"warning: {w}")
    for p in report.problems:
        _out(f"warning: {p.message}")
    changes = diff(current, plan.items)
    if unreadable:
        changes.append(f"  (some stored items could not be read, so every item is rewritten: "
                       f"{'; '.join(unreadable)})")
    verb = "would change" if args.dry_run else "changes"
    _out(f"{plan.program_id}: {len(plan.items)} item(s) in {args.file}; "
         + (f"{verb}:" if changes else "no changes."))
    for line in changes:
        _out(line)
    if not report.ok and args.strict:
        _err(f"refused (--strict): {len(report.problems)} coverage problem(s) in the next "
             f"{COVERAGE_DAYS} days; nothing was written")
        return 1
    if args.dry_run:
        _out("dry run: nothing was written.")
        return 0
    if not changes:
        return 0
    from pynamodb.exceptions import TransactWriteError

    try:
        written = ctx.schedules.replace_schedule(plan.program_id, plan.items)
    except TransactWriteError as exc:
        raise CliError(f"the transaction was refused, nothing was written: "
                       f"{exc.cause_response_code}: {exc.cause_response_message}", 1) from None
    _out(f"wrote {plan.program_id} in one transaction ({written} puts and deletes).")
    if not report.ok:
        _out(f"{len(report.problems)} coverage problem(s) remain: see the warnings above.")
    return 0


# ------------------------------------------------------------------ override


def cmd_override(args: argparse.Namespace) -> int:
    from pynamodb.exceptions import PutError

    ctx = _context(args)
    view = _load(ctx, args.program)
    role = args.role
    if role not in view.roles:
        raise CliError(f"'{role}' is not a role of {args.program} ({', '.join(view.roles)})")
    tz_name = args.timezone
    if not tz_name:
        rotas = view.schedule.rotas_for(role)
        if not rotas:
            raise CliError(f"{role} has no rota to take a time zone from; give --timezone")
        tz_name = rotas[0].timezone.key
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CliError(f"--timezone '{tz_name}' is not a known IANA time zone") from None
    fields: dict[str, Any] = {
        "rota": role, "clinician": args.clinician, "starts": args.starts.strip(),
        "ends": args.ends.strip(), "timezone": tz_name,
        "created_at": ctx.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    compact = re.sub(r"[^0-9]", "", fields["starts"])[:12]
    try:
        override = override_from_fields(args.program, f"override#{role}#new", fields)
    except InvalidItem as exc:
        flag = {"starts": "--from", "ends": "--to", "timezone": "--timezone"}.get(exc.field,
                                                                                  exc.field)
        reason = exc.reason.replace("is not after starts", "is not after --from")
        raise CliError(f"override refused: {flag} {reason}", 1) from None
    try:
        clinician = ctx.directory.clinician(args.clinician)
    except InvalidItem as exc:
        raise CliError(f"override refused: {exc}", 1) from None
    if clinician is None:
        raise CliError(f"override refused: '{args.clinician}' has no clinician item in table "
                       f"{ctx.clinicians_table}", 1)
    if override.ends <= ctx.now:
        _out(f"warning: this window ended before now ({when(ctx.now, view.zone)})")
    for _attempt in range(5):
        key = f"override#{role}#{compact[:8]}T{compact[8:]}#{secrets.token_hex(2)}"
        try:
            ctx.schedules.put_override(args.program, key, fields)
            break
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
    else:
        raise CliError("could not find a free override key; try again", 1)
    zone = view.zone
    _out(f"added {key}: {clinician.name} ({clinician.clinician_id}) covers {role} from "
         f"{when(override.starts, zone)} to {when(override.ends, zone)}")
    after = _load(ctx, args.program)
    days = max(1, math.ceil((override.ends - override.starts) / timedelta(days=1)))
    report = coverage(after.schedule, after.roles, after.clinicians, override.starts, days)
    _out(f"On call in that window (times in {zone.key}):")
    for r in after.roles:
        for seg in report.segments[r]:
            if seg.start >= override.ends:
                break
            clipped = Segment(r, seg.start, min(seg.end, override.ends), seg.clinician_id,
                              seg.source, seg.gap_reason)
            who = (f"{after.person(seg.clinician_id)}  [{seg.source}]" if seg.clinician_id
                   else f"NOBODY: {seg.gap_reason}")
            _out(f"  {r:<{max(len(x) for x in after.roles)}}  {_span(clipped, zone)}  {who}")
    for p in report.problems:
        if p.start is None or p.start < override.ends:
            _out(f"warning: {p.message}")
    return 0


# ------------------------------------------------------------------ arguments


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default: Any = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("where the tables are")
    group.add_argument("--region", default=default,
                       help="AWS region (default: $AWS_REGION, else us-east-1)")
    group.add_argument("--endpoint-url", default=default,
                       help="DynamoDB endpoint, e.g. http://127.0.0.1:5000 for a moto server "
                            "(default: $AWS_ENDPOINT_URL, else AWS)")
    group.add_argument("--programs-table", default=default,
                       help="default: $PROGRAMS_TABLE, else crisis-pager-programs")
    group.add_argument("--clinicians-table", default=default,
                       help="default: $CLINICIANS_TABLE, else crisis-pager-clinicians")
    group.add_argument("--participants-table", default=default,
                       help="default: $PARTICIPANTS_TABLE, else crisis-pager-participants")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="On-call rotas of crisis-pager programs.",
        epilog="Exit status: 0 ok, 1 problems found (or nothing written), 2 usage or config.")
    _global_options(parser, suppress=False)
    top = parser.add_subparsers(dest="area", required=True, metavar="{rota,participant}")
    rota = top.add_parser("rota", help="show, check, import, export and override rotas",
                          description="A program's rotas and overrides (items rota#... and "
                                      "override#... of the programs table).")
    cmds = rota.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Callable[[argparse.Namespace], int], help_text: str
                ) -> argparse.ArgumentParser:
        p = cmds.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(run=run)
        _global_options(p, suppress=True)
        return p

    show = command("show", cmd_show, "who is on call for each role now (or --at) and at the "
                                     "next handoffs")
    show.add_argument("program")
    show.add_argument("--at", help="an ISO instant; without an offset, the program's local time")
    show.add_argument("--handoffs", type=int, default=3, help="how many (default %(default)s)")

    check = command("check", cmd_check, "validate every item and report who covers each role; "
                                        "exit 1 on any problem")
    check.add_argument("program")
    check.add_argument("--days", type=int, default=COVERAGE_DAYS,
                       help="days to check (default %(default)s)")
    check.add_argument("--at", help="start instant instead of now (ISO; local without offset)")

    export = command("export", cmd_export, "write the program's rotas and overrides as YAML")
    export.add_argument("program")
    export.add_argument("-o", "--output", help="file to write (default: stdout)")

    imp = command("import", cmd_import, "replace the program's rotas and overrides with a YAML "
                                        "file, validated first (one transaction)")
    imp.add_argument("file", help="the YAML file (- for stdin); its `program` says which program")
    imp.add_argument("--dry-run", action="store_true", help="validate and show the changes only")
    imp.add_argument("--strict", action="store_true",
                     help="refuse when the result has coverage problems (gaps, same person)")

    over = command("override", cmd_override, "add a cover window: CLINICIAN answers for ROLE "
                                              "from --from until --to")
    over.add_argument("program")
    over.add_argument("role", help="primary, backup, supervisor, ...")
    over.add_argument("clinician", help="clinician id, e.g. clin-ben")
    over.add_argument("--from", dest="starts", required=True, metavar="'YYYY-MM-DD HH:MM'",
                      help="local start time")
    over.add_argument("--to", dest="ends", required=True, metavar="'YYYY-MM-DD HH:MM'",
                      help="local end time")
    over.add_argument("--timezone", help="IANA zone of --from/--to (default: the role's first "
                                         "rota's zone)")
    from admin import participant_cli  # `crisis-pager participant ...`

    participant_cli.register(top, _global_options)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2): never exit a host process
        return exc.code if isinstance(exc.code, int) else 0
    with _environment(args):
        try:
            return int(args.run(args))
        except CliError as exc:
            _err(f"{PROG}: {exc}")
            return exc.code
        except Exception as exc:
            failure = _aws_failure(exc)
            if failure is None:
                raise
            _err(f"{PROG}: {failure}")
            return 2


def run_line(line: str) -> int:
    """A command typed at a prompt (`rota show west-iop`), run in this process."""
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        _err(f"{PROG}: {exc}")
        return 2
    return main(argv)


if __name__ == "__main__":
    sys.exit(main())
