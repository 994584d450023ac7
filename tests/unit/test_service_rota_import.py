"""Planning a rota import (service/rota_import.py), without argparse or a table: a file is
either every item it means, or every problem it has, named where it is in the file."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from crisis_pager.service.rota_import import ImportContext, diff, error_order, plan_import
from tests.fakes.directory import FakeDirectory

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
DOC: dict[str, Any] = {
    "program": "west-iop",
    "rotas": [
        {"name": "primary", "timezone": "America/Los_Angeles", "handoff": "08:00",
         "shift_days": 7, "starts_on": "2026-11-02", "members": ["clin-ana", "clin-ben"],
         "active": ["Mon-Fri 08:00-18:00"]},
        {"name": "backup", "timezone": "America/Los_Angeles", "handoff": "08:00",
         "shift_days": 7.0, "starts_on": "2026-11-02", "members": ["clin-ben"]},
    ],
    "overrides": [
        {"rota": "primary", "clinician": "clin-caro", "starts": "2026-11-24 18:00",
         "ends": "2026-11-25 08:00"},
    ],
}


def plan(doc: Any, existing: dict[str, dict[str, Any]] | None = None) -> tuple[Any, list[str]]:
    errors: list[str] = []
    ctx = ImportContext(FakeDirectory(), NOW, "programs-table", "clinicians-table")
    return plan_import(ctx, copy.deepcopy(doc), lambda _: existing or {}, errors), errors


def test_a_valid_file_becomes_the_items_it_means() -> None:
    planned, errors = plan(DOC)
    assert errors == []
    assert planned.program_id == "west-iop"
    rotas = {i["key"]: i for i in planned.items if i["key"].startswith("rota#")}
    assert rotas["rota#primary"]["members"] == ["clin-ana", "clin-ben"]
    assert rotas["rota#backup"]["shift_days"] == 7  # 7.0 from YAML is the number 7
    (override,) = [i for i in planned.items if i["key"].startswith("override#")]
    assert override["key"].startswith("override#primary#20261124T1800#")
    assert override["timezone"] == "America/Los_Angeles"  # the role's first rota's zone
    assert override["created_at"] == "2026-11-20T18:00:00Z"  # now, as it is new
    assert {r.role for r in planned.schedule.rotas} == {"primary", "backup"}


def test_an_override_given_without_a_key_keeps_its_key_and_creation_when_imported_again(
        ) -> None:
    first, _ = plan(DOC)
    (override,) = [i for i in first.items if i["key"].startswith("override#")]
    stored = {override["key"]: {**override, "created_at": "2026-11-01T09:00:00Z"}}
    again, errors = plan(DOC, existing=stored)
    assert errors == []
    (same,) = [i for i in again.items if i["key"].startswith("override#")]
    assert same["key"] == override["key"]
    assert same["created_at"] == "2026-11-01T09:00:00Z"


def test_every_problem_is_named_where_it_is_and_nothing_is_planned_from_it() -> None:
    doc = copy.deepcopy(DOC)
    doc["colour"] = "blue"
    doc["rotas"][0]["shift_weeks"] = 1
    doc["rotas"][1]["members"] = ["clin-zed"]
    doc["rotas"].append({"timezone": "America/Los_Angeles"})
    doc["overrides"][0].update(rota="oncall", timezone="America/Los_Angeles")
    _, errors = plan(doc)
    assert "top level: unknown key 'colour' (keys: program, rotas, overrides)" in errors
    assert any(e.startswith("rotas[0] (primary): unknown field 'shift_weeks'") for e in errors)
    assert any(e.startswith("rotas[2]: field 'name' is missing") for e in errors)
    assert ("rotas[1] (backup): field 'members' 'clin-zed' has no clinician item in table "
            "clinicians-table") in errors
    assert any(e.startswith("overrides[0] (oncall clin-caro from 2026-11-24 18:00): field "
                            "'rota' 'oncall' is not a role of west-iop") for e in errors)
    assert sorted(errors, key=error_order)[0].startswith("top level")


def test_a_file_for_no_program_stops_at_the_program() -> None:
    _, errors = plan({"rotas": []})
    assert errors == ["program: is missing; the program id, such as west-iop"]
    planned, errors = plan({**DOC, "program": "east-iop"})
    assert ("program: there is no program item 'east-iop' in table programs-table; create "
            "the program first") in errors
    assert plan(["not", "a", "mapping"])[1] == [
        "the file is not a mapping with program, rotas and overrides"]


def test_the_changes_list_adds_changes_and_removals_by_key() -> None:
    current = {"rota#primary": {"key": "rota#primary", "handoff": "09:00"},
               "rota#old": {"key": "rota#old"}}
    wanted = [{"key": "rota#primary", "handoff": "08:00"}, {"key": "rota#backup"}]
    assert diff(current, wanted) == [
        "  + rota#backup", "  ~ rota#primary (handoff: '09:00' -> '08:00')", "  - rota#old"]
    assert diff({"rota#backup": {"key": "rota#backup"}}, [{"key": "rota#backup"}]) == []
