"""Planning a rota import (`crisis-pager rota import`): a file an admin wrote, validated
against the program and its clinicians, into the items that replace the program's rotas
and overrides in one transaction, with every problem named where it is in the file. Pure
of I/O: the directory is a port, and the program's stored items come from ``existing``."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from ..domain.errors import InvalidItem
from ..domain.program import Clinician, Program
from ..domain.rota import Rota, rota_from_fields
from ..domain.schedule import Override, Schedule, override_from_fields
from .ports.directory import Directory

DEFAULT_ROLES = ("primary", "backup", "supervisor")
ROTA_FIELDS = ("timezone", "handoff", "shift_days", "shift_hours", "starts_on", "members",
               "active")
OVERRIDE_FIELDS = ("rota", "clinician", "starts", "ends", "timezone", "created_at")
TOP_KEYS = ("program", "rotas", "overrides")
CLINICIAN_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # as domain/rota.py checks them
OVERRIDE_KEY = re.compile(r"override#[a-z][a-z0-9_-]{0,39}#[A-Za-z0-9:._#-]{1,80}")


@dataclass(frozen=True)
class ImportContext:
    """What a plan reads: the directory, the instant of the import (an override's default
    created_at), and the tables' names (for the messages)."""

    directory: Directory
    now: datetime
    programs_table: str
    clinicians_table: str


def text(value: Any) -> Any:
    """Whatever a YAML parser made of a date or time, back to the text an admin means."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.tzinfo is None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


@dataclass
class Planned:
    """A validated file: the items to write and the schedule they make."""

    program_id: str
    items: list[dict[str, Any]]
    schedule: Schedule
    clinicians: dict[str, Clinician | InvalidItem | None]
    roles: list[str]
    warnings: list[str]


def _rota_items(program_id: str, rotas: Any, errors: list[str]
                ) -> list[tuple[str, Rota, dict[str, Any]]]:
    if rotas is None:
        errors.append("rotas: is missing; list the program's rotas (an empty list removes "
                      "them all)")
        return []
    if not isinstance(rotas, list):
        errors.append("rotas: is not a list of rotas")
        return []
    out: list[tuple[str, Rota, dict[str, Any]]] = []
    seen: dict[str, str] = {}
    for i, entry in enumerate(rotas):
        name = entry.get("name") if isinstance(entry, dict) else None
        where = f"rotas[{i}]" + (f" ({name})" if isinstance(name, str) else "")
        if not isinstance(entry, dict):
            errors.append(f"{where}: is not a mapping of fields")
            continue
        bad = [str(k) for k in entry if k not in ("name", *ROTA_FIELDS)]
        for k in bad:
            errors.append(f"{where}: unknown field '{k}' (fields: name, {', '.join(ROTA_FIELDS)})")
        if not isinstance(name, str) or not name:
            errors.append(f"{where}: field 'name' is missing; the rota's name, such as primary "
                          "or primary#weeknights")
            continue
        if name in seen:
            errors.append(f"{where}: the name '{name}' is already used by {seen[name]}")
            continue
        seen[name] = where
        fields = {f: text(entry.get(f)) for f in ROTA_FIELDS}
        try:
            rota = rota_from_fields(program_id, name, **fields)
        except InvalidItem as exc:
            field = "name" if exc.field == "key" else exc.field
            errors.append(f"{where}: field '{field}' {exc.reason}")
            continue
        if bad:
            continue
        item: dict[str, Any] = {"key": rota.key}
        for f in ROTA_FIELDS:
            value = fields[f]
            if value is None or (f == "active" and value in ([], "")):
                continue
            if f in ("shift_days", "shift_hours"):
                value = number(value)
            elif f == "active" and isinstance(value, str):
                value = [value]
            elif f == "members":
                value = list(value)
            item[f] = value
        out.append((where, rota, item))
    return out


def _override_items(ctx: ImportContext, program_id: str, overrides: Any,
                    rota_zones: Mapping[str, str], existing: Mapping[str, dict[str, Any]],
                    errors: list[str]) -> list[tuple[str, Override, dict[str, Any]]]:
    """Validated overrides; ``rota_zones`` is each role's first rota's zone (the default)."""
    if overrides is None:
        return []
    if not isinstance(overrides, list):
        errors.append("overrides: is not a list of overrides")
        return []
    out: list[tuple[str, Override, dict[str, Any]]] = []
    seen: dict[str, str] = {}
    now = ctx.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for i, entry in enumerate(overrides):
        if not isinstance(entry, dict):
            errors.append(f"overrides[{i}]: is not a mapping of fields")
            continue
        role = entry.get("rota")
        where = _override_place(i, entry)
        bad = [str(k) for k in entry if k not in (*OVERRIDE_FIELDS, "key")]
        for k in bad:
            errors.append(f"{where}: unknown field '{k}' "
                          f"(fields: {', '.join(OVERRIDE_FIELDS)}, key)")
        fields = {f: text(entry.get(f)) for f in OVERRIDE_FIELDS}
        if fields["timezone"] is None and isinstance(role, str):
            fields["timezone"] = rota_zones.get(role)
        key = entry.get("key")
        if key is None:
            key = _derived_key(fields)
        elif not isinstance(key, str) or not OVERRIDE_KEY.fullmatch(key):
            errors.append(f"{where}: field 'key' '{key}' is not override#<role>#<text> "
                          "(letters, digits and : . _ # -)")
            continue
        elif isinstance(role, str) and not key.startswith(f"override#{role}#"):
            errors.append(f"{where}: field 'key' '{key}' does not start with "
                          f"override#{role}# (the role it covers)")
            continue
        if fields["created_at"] is None:
            stored = existing.get(key, {}).get("created_at")
            fields["created_at"] = stored if isinstance(stored, str) else now
        try:
            override = override_from_fields(program_id, key, fields)
        except InvalidItem as exc:
            if exc.field == "timezone" and entry.get("timezone") is None:
                errors.append(f"{where}: field 'timezone' is missing and rota '{role}' has no "
                              "rota in this file to take it from")
            else:
                errors.append(f"{where}: field '{exc.field}' {exc.reason}")
            continue
        if key in seen:
            errors.append(f"{where}: the key '{key}' is already used by {seen[key]}")
            continue
        seen[key] = where
        if not bad:
            out.append((where, override, {"key": key, **fields}))
    return out


def _derived_key(fields: Mapping[str, Any]) -> str:
    """A stable key for an override given without one: importing the file again finds the
    same item instead of adding a copy."""
    role, starts = fields.get("rota"), fields.get("starts")
    compact = re.sub(r"[^0-9]", "", str(starts))[:12]
    compact = f"{compact[:8]}T{compact[8:]}" if len(compact) == 12 else "x"
    digest = hashlib.sha256("|".join(str(fields.get(f)) for f in (
        "rota", "clinician", "starts", "ends", "timezone")).encode()).hexdigest()[:4]
    return f"override#{role if isinstance(role, str) else 'x'}#{compact}#{digest}"


def plan_import(ctx: ImportContext, doc: Any,
                existing_reader: Callable[[str], dict[str, dict[str, Any]]],
                errors: list[str]) -> Planned | None:
    """Validate a rota file (``doc``, as YAML parsed it) against the program and its
    clinicians: the items to write and the schedule they make, or None; every problem is
    appended to ``errors`` naming where in the file it is (nothing is written here)."""
    if not isinstance(doc, dict):
        errors.append("the file is not a mapping with program, rotas and overrides")
        return None
    for k in doc:
        if k not in TOP_KEYS:
            errors.append(f"top level: unknown key '{k}' (keys: {', '.join(TOP_KEYS)})")
    program_id = doc.get("program")
    if not isinstance(program_id, str) or not program_id.strip():
        errors.append("program: is missing; the program id, such as west-iop")
        return None
    program: Program | None = None
    warnings: list[str] = []
    try:
        program = ctx.directory.program(program_id)
        if program is None:
            errors.append(f"program: there is no program item '{program_id}' in table "
                          f"{ctx.programs_table}; create the program first")
    except InvalidItem as exc:
        warnings.append(f"{exc} (coverage below assumes the default ladders)")
    existing = existing_reader(program_id)
    rotas = _rota_items(program_id, doc.get("rotas"), errors)
    roles = program.roles() if program else list(DEFAULT_ROLES)
    known_roles = set(roles) | {r.role for _, r, _ in rotas}
    zones: dict[str, str] = {}  # role -> its first rota's zone, as written in the file
    for entry in sorted(_entries(doc.get("rotas")), key=lambda e: str(e.get("name"))):
        name, tz = entry.get("name"), entry.get("timezone")
        if isinstance(name, str) and isinstance(tz, str):
            zones.setdefault(name.split("#", 1)[0], tz)
    overrides = _override_items(ctx, program_id, doc.get("overrides"), zones, existing, errors)
    for where, o, _ in overrides:
        if o.role not in known_roles:
            errors.append(f"{where}: field 'rota' '{o.role}' is not a role of {program_id} "
                          f"({', '.join(sorted(known_roles))})")
    # Every clinician id must be a usable clinician item (also in entries invalid otherwise).
    uses = _clinician_references(doc)
    clinicians = ctx.directory.clinicians(sorted(uses)) if uses else {}
    for cid, places in sorted(uses.items()):
        item = clinicians.get(cid)
        if isinstance(item, Clinician):
            continue
        why = (f"'{cid}' has no clinician item in table {ctx.clinicians_table}" if item is None
               else f"'{cid}' is not usable: {item}")
        errors.extend(f"{place} {why}" for place in places)
    if not roles:
        roles = list(DEFAULT_ROLES)
    schedule = Schedule(program_id, tuple(r for _, r, _ in rotas),
                        tuple(o for _, o, _ in overrides))
    items = [i for _, _, i in rotas] + [i for _, _, i in overrides]
    extra = [r for r in schedule.roles if r not in roles]
    return Planned(program_id, items, schedule, clinicians, roles + extra, warnings)


def _clinician_references(doc: Mapping[str, Any]) -> dict[str, list[str]]:
    """Clinician id -> where the file names it ("rotas[0] (primary): field 'members'")."""
    uses: dict[str, list[str]] = {}

    def use(cid: object, place: str) -> None:
        if isinstance(cid, str) and CLINICIAN_ID.fullmatch(cid):
            if place not in uses.setdefault(cid, []):
                uses[cid].append(place)

    for i, entry in enumerate(_entries(doc.get("rotas"))):
        where = f"rotas[{i}]" + (f" ({entry['name']})" if isinstance(entry.get("name"), str)
                                 else "")
        members = entry.get("members")
        for m in members if isinstance(members, list) else []:
            use(m, f"{where}: field 'members'")
    for i, entry in enumerate(_entries(doc.get("overrides"))):
        use(entry.get("clinician"), f"{_override_place(i, entry)}: field 'clinician'")
    return uses


def _entries(value: Any) -> list[dict[str, Any]]:
    """The mappings of a list (others are reported where the list is validated)."""
    return [e if isinstance(e, dict) else {} for e in value] if isinstance(value, list) else []


def _override_place(i: int, entry: Mapping[str, Any]) -> str:
    role = entry.get("rota")
    if not role:
        return f"overrides[{i}]"
    return f"overrides[{i}] ({role} {entry.get('clinician')} from {text(entry.get('starts'))})"


def error_order(error: str) -> tuple[int, int]:
    """Errors in file order: top level, rotas, overrides, then the whole import."""
    m = re.match(r"(rotas|overrides)\[([0-9]+)\]", error)
    if m:
        return (1 if m[1] == "rotas" else 2, int(m[2]))
    return (0, 0) if error.startswith(("top level", "program", "the file", "rotas:")) else (3, 0)


def diff(current: Mapping[str, dict[str, Any]], wanted: list[dict[str, Any]]
          ) -> list[str]:
    lines: list[str] = []
    wanted_keys = {w["key"] for w in wanted}
    for w in sorted(wanted, key=lambda i: i["key"]):
        old = current.get(w["key"])
        if old is None:
            lines.append(f"  + {w['key']}")
        elif old != w:
            fields = sorted(k for k in set(old) | set(w) if old.get(k) != w.get(k))
            detail = ", ".join(f"{f}: {old.get(f)!r} -> {w.get(f)!r}" for f in fields)
            lines.append(f"  ~ {w['key']} ({detail})")
    lines += [f"  - {k}" for k in sorted(current) if k not in wanted_keys]
    return lines
