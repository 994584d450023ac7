"""`crisis-pager participant ...`: participants' safety plans from the command line (the
commands are registered by admin/cli.py, which runs them with its global options).

    crisis-pager participant put FILE [--by WHO]
    crisis-pager participant show PARTICIPANT [-o FILE]
    crisis-pager participant history PARTICIPANT
    crisis-pager participant locate PARTICIPANT [--description TEXT] [--confirmed-at ISO]
        [--crisis-line E164] [--mobile-crisis-team E164] [--emergency-department NAME]
        [--emergency-department-phone E164] [--emergency-call-center E164] [--by WHO]

Every save is a new version; no version is ever changed or erased. `put` saves a whole
record from a JSON file (the format `show` writes):

    {"participant_id": "ptc-west-0001", "program_id": "west-iop",
     "preferred_name": "Sam",                                    (optional)
     "safety_plan": {"warning_signs": ["..."], "internal_coping": [...],
                     "distractions": [...], "help_contacts": [...],
                     "professionals": [...], "environment_safety": [...]},
     "support_persons": [{"name": "...", "relationship": "sister",
                          "phone": "+15035550177", "consent_to_notify": true,
                          "consent_recorded_at": "2026-11-01T17:00:00Z"}],
     "location": {"description": "...", "confirmed_at": "2026-11-23T17:00:00Z",
                  "crisis_line": "+1...", "mobile_crisis_team": "+1...",
                  "emergency_department": "...", "emergency_department_phone": "+1...",
                  "emergency_call_center": "+1..."},
     "version": 3}                       (optional: the version this file was edited from)

The whole file is validated first and nothing is written when anything is wrong. With a
``version`` (as `show` writes it), the save is refused when someone saved meanwhile. `locate`
records the last confirmed location as a new version, copying the rest; without options it
re-confirms the current location now. Exit status: 0 saved or shown; 1 invalid, conflict
or malformed; 2 usage, configuration or no such participant.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

LOCATION_OPTIONS = ("description", "confirmed_at", "crisis_line", "mobile_crisis_team",
                    "emergency_department", "emergency_department_phone",
                    "emergency_call_center")


class _Failed(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _store(args: argparse.Namespace) -> tuple[Any, Any]:
    """(DynamoParticipants, clock), refusing a table other than the one already bound."""
    from admin.cli import CliError, bind_tables

    try:
        bind_tables(args)
    except CliError as exc:
        raise _Failed(str(exc), exc.code) from None
    from crisis_pager import bootstrap
    from crisis_pager.adapters.dynamo.participants import DynamoParticipants

    return DynamoParticipants(), bootstrap.clock()


def _by(args: argparse.Namespace) -> str:
    if args.by:
        return str(args.by)
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except Exception:  # noqa: BLE001 (no user name in this environment)
        return "cli"


def _json_file(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise _Failed(f"cannot read {path}: {exc.strerror}", 2) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Failed(f"{path}: not JSON ({exc.msg} at line {exc.lineno})", 1) from None


def _saved(p: Any) -> str:
    return (f"saved participant {p.participant_id} version {p.version} "
            f"(program {p.program_id}, by {p.updated_by})")


def cmd_put(args: argparse.Namespace) -> int:
    from crisis_pager.service.participants import save_participant

    document = _json_file(args.file)
    if not isinstance(document, dict):
        raise _Failed(f"{args.file}: must be a JSON object", 1)
    store, clock = _store(args)
    print(_saved(save_participant(document, by=_by(args), participants=store, clock=clock)))
    return 0


def _current(store: Any, participant_id: str) -> Any:
    participant = store.current(participant_id)
    if participant is None:
        raise _Failed(f"no participant {participant_id}", 2)
    return participant


def cmd_show(args: argparse.Namespace) -> int:
    from crisis_pager.domain.participant import participant_document

    store, _ = _store(args)
    text = json.dumps(participant_document(_current(store, args.participant)), indent=2,
                      ensure_ascii=False) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _changed(newer: Any, older: Any) -> str:
    from crisis_pager.domain.participant import DOCUMENT_FIELDS, participant_document

    if older is None or isinstance(older, Exception):
        return "first version" if older is None else "after an unreadable version"
    a, b = participant_document(newer), participant_document(older)
    fields = [f for f in DOCUMENT_FIELDS if a.get(f) != b.get(f)]
    return "changed: " + (", ".join(fields) if fields else "nothing")


def cmd_history(args: argparse.Namespace) -> int:
    from crisis_pager.domain.errors import InvalidItem

    store, _ = _store(args)
    versions = store.history(args.participant)
    if not versions:
        raise _Failed(f"no participant {args.participant}", 2)
    for i, p in enumerate(versions):
        if isinstance(p, InvalidItem):
            print(f"{p.key.split(' / ')[-1]}  UNREADABLE: field '{p.field}' {p.reason}")
            continue
        older = versions[i + 1] if i + 1 < len(versions) else None
        stamp = p.updated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        print(f"v{p.version:06d}  {stamp}  by {p.updated_by}  {_changed(p, older)}")
    return 0


def cmd_locate(args: argparse.Namespace) -> int:
    from crisis_pager.domain.participant import location_document
    from crisis_pager.service.participants import confirm_location

    store, clock = _store(args)
    current = _current(store, args.participant)
    given = {k: getattr(args, k) for k in LOCATION_OPTIONS if getattr(args, k) is not None}
    if current.location is None and "description" not in given:
        raise _Failed(f"participant {args.participant} has no location yet: give "
                      "--description and every resource option", 1)
    location = location_document(current.location) if current.location is not None else {}
    location.update(given)
    if "confirmed_at" not in given:
        location["confirmed_at"] = clock.now().isoformat()
    saved = confirm_location(args.participant, location, by=_by(args), participants=store,
                             clock=clock)
    print(_saved(saved))
    return 0


def _guard(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Domain refusals as one line on stderr and an exit status (AWS failures and CliError
    are handled by admin/cli.py's main)."""

    def guarded(args: argparse.Namespace) -> int:
        from crisis_pager.domain.errors import InvalidItem
        from crisis_pager.domain.participant import ParticipantConflict

        try:
            return run(args)
        except _Failed as exc:
            print(f"crisis-pager: {exc}", file=sys.stderr)
            return exc.code
        except InvalidItem as exc:
            print(f"crisis-pager: {exc} (nothing saved)", file=sys.stderr)
            return 1
        except ParticipantConflict as exc:
            print(f"crisis-pager: {exc} (nothing saved)", file=sys.stderr)
            return 1
        except LookupError as exc:
            print(f"crisis-pager: {exc.args[0] if exc.args else exc}", file=sys.stderr)
            return 2

    return guarded


def register(top: Any, global_options: Callable[[argparse.ArgumentParser, bool], None]
             ) -> None:
    area = top.add_parser("participant", help="put, show, history and locate participants",
                          description="Participants' safety plans, support persons and last "
                                      "confirmed locations (versioned: a save never changes "
                                      "or erases a version).")
    cmds = area.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Callable[[argparse.Namespace], int], help_text: str
                ) -> argparse.ArgumentParser:
        p = cmds.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(run=_guard(run))
        global_options(p, True)
        return p

    put = command("put", cmd_put, "save a participant's whole record from a JSON file as a "
                                   "new version (validated first)")
    put.add_argument("file", help="the JSON file (- for stdin)")
    put.add_argument("--by", help="who saves it (default: cli:<user>)")

    show = command("show", cmd_show, "print the current version as JSON (the format put reads)")
    show.add_argument("participant")
    show.add_argument("-o", "--output", help="file to write (default: stdout)")

    history = command("history", cmd_history, "list every version, newest first")
    history.add_argument("participant")

    locate = command("locate", cmd_locate, "record the last confirmed location as a new "
                                            "version (unset options keep the current values; "
                                            "--confirmed-at defaults to now)")
    locate.add_argument("participant")
    for option in LOCATION_OPTIONS:
        locate.add_argument("--" + option.replace("_", "-"), dest=option)
    locate.add_argument("--by", help="who confirms it (default: cli:<user>)")
