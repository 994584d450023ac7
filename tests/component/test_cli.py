"""`crisis-pager rota ...` (admin/cli.py), run in-process against the local stack with the
demo program: show, check, export/import (an invalid file writes nothing), override."""

from __future__ import annotations

import io
import json
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
import yaml

from admin.cli import main, mask
from crisis_pager.domain.schedule import when
from local import seed
from local.resources import REGION
from local.stack import LocalStack

ROOT = Path(__file__).resolve().parents[2]
ZONE = ZoneInfo(seed.TIMEZONE)


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with LocalStack(scale=0.001) as s:
        seed.seed(s)
        yield s


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def programs_table(stack: LocalStack) -> str:
    """Every item of the programs table, exactly as stored, in a stable order."""
    client = boto3.client("dynamodb", region_name=REGION)
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": stack.refs["ProgramsTable"], "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    items.sort(key=lambda i: (i["program_id"]["S"], i["key"]["S"]))
    return json.dumps(items, sort_keys=True)


def stored_keys(stack: LocalStack) -> list[str]:
    return [i["key"]["S"] for i in json.loads(programs_table(stack))]


def line_of(out: str, role: str) -> str:
    return next(line for line in out.splitlines() if line.strip().startswith(role + " "))


def export_doc(capsys: pytest.CaptureFixture[str], path: Path) -> dict[str, Any]:
    code, _, err = run(capsys, "rota", "export", seed.PROGRAM_ID, "-o", str(path))
    assert code == 0, err
    return dict(yaml.safe_load(path.read_text()))


def later(stack: LocalStack, days: int, hour: int) -> datetime:
    """A local wall-clock time ``days`` from the stack's today, in the program's zone."""
    today = stack.clock.now().astimezone(ZONE).date() + timedelta(days=days)
    return datetime(today.year, today.month, today.day, hour, tzinfo=ZONE)


# ------------------------------------------------------------------ show


def test_show_names_who_is_on_call_for_each_rung_now(
    stack: LocalStack, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "rota", "show", seed.PROGRAM_ID)
    assert code == 0, err
    assert "Ana Alvarez" in line_of(out, "primary")
    assert "Ben Okafor" in line_of(out, "backup")
    assert "Caro Lindqvist" in line_of(out, "supervisor")
    assert "Next handoffs:" in out
    for clinician in seed.CLINICIANS:  # phone numbers only ever masked
        assert clinician["phone"] not in out
    assert mask("+15035550101") == "+1 503-***-0101"
    assert "+1 503-***-0101" in line_of(out, "primary")


def test_show_at_the_next_handoff_swaps_primary_and_backup(
    stack: LocalStack, capsys: pytest.CaptureFixture[str],
) -> None:
    start = datetime.fromisoformat(seed.current_shift_start(stack.clock.now()))
    after = (start + timedelta(days=7)).strftime("%Y-%m-%d") + " 09:00"
    code, out, _ = run(capsys, "rota", "show", seed.PROGRAM_ID, "--at", after,
                       "--handoffs", "0")
    assert code == 0
    assert "Ben Okafor" in line_of(out, "primary")
    assert "Ana Alvarez" in line_of(out, "backup")


def test_unknown_program_is_one_line_on_stderr_and_exit_2(
    stack: LocalStack, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "rota", "show", "east-iop")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "east-iop" in err


def test_usage_errors_exit_2_without_raising(
    stack: LocalStack, capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "rota", "frobnicate")[0] == 2
    assert run(capsys, "rota", "show", seed.PROGRAM_ID, "--at", "tomorrow")[0] == 2
    assert run(capsys, "rota", "--help")[0] == 0


# ------------------------------------------------------------------ check


def test_check_exits_0_on_the_demo_program(
    stack: LocalStack, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "rota", "check", seed.PROGRAM_ID)
    assert code == 0, out + err
    assert "OK: no problems in the next 14 days." in out
    assert "Ana Alvarez (clin-ana)" in out
    assert "times in America/Los_Angeles" in out


def test_check_exits_1_naming_backup_and_the_first_uncovered_window(
    stack: LocalStack, capsys: pytest.CaptureFixture[str],
) -> None:
    stack.delete_item("ProgramsTable", {"program_id": seed.PROGRAM_ID, "key": "rota#backup"})
    at = stack.clock.now().replace(second=0, microsecond=0) + timedelta(hours=1)
    code, out, _ = run(capsys, "rota", "check", seed.PROGRAM_ID, "--at", at.isoformat())
    assert code == 1
    first = when(at, ZONE)
    assert f"nobody can be paged for backup from {first}" in out
    assert f"First uncovered window: backup from {first} to " \
           f"{when(at + timedelta(days=14), ZONE)}." in out
    assert "no rota item 'rota#backup'" in out


# ------------------------------------------------------------------ export / import


def test_export_then_import_dry_run_reports_no_changes(
    stack: LocalStack, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    stack.put_items("ProgramsTable", [
        {"program_id": seed.PROGRAM_ID, "key": "rota#primary#weekends",
         "timezone": seed.TIMEZONE, "handoff": "18:00", "shift_hours": 12,
         "starts_on": "2026-01-03", "members": ["clin-ben"], "active": ["Sat,Sun 00:00-24:00"]},
        {"program_id": seed.PROGRAM_ID, "key": "override#primary#20300101T1800#ab12",
         "rota": "primary", "clinician": "clin-caro", "starts": "2030-01-01 18:00",
         "ends": "2030-01-02 08:00", "timezone": seed.TIMEZONE,
         "created_at": "2029-12-20T10:15:00Z"},
    ])
    path = tmp_path / "west.yaml"
    doc = export_doc(capsys, path)
    assert [r["name"] for r in doc["rotas"]] == ["backup", "primary", "primary#weekends",
                                                 "supervisor"]
    assert doc["overrides"][0]["key"] == "override#primary#20300101T1800#ab12"
    assert '"08:00"' in path.read_text()  # times quoted: any YAML reader keeps them text
    before = programs_table(stack)
    code, out, err = run(capsys, "rota", "import", str(path), "--dry-run")
    assert code == 0, err
    assert "no changes." in out
    assert "dry run: nothing was written." in out
    code, out, err = run(capsys, "rota", "import", str(path))
    assert code == 0, err
    assert "no changes." in out
    assert programs_table(stack) == before


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    section, index, field = path.split(".")
    doc[section][int(index)][field] = value


@pytest.mark.parametrize(("edit", "expected"), [
    (("rotas.1.handoff", "8am"), "rotas[1] (primary): field 'handoff' '8am'"),
    (("rotas.0.members", ["clin-ben", "clin-zed"]),
     "rotas[0] (backup): field 'members' 'clin-zed' has no clinician item"),
    (("overrides.0.ends", "2030-01-01 08:00"),
     "overrides[0] (primary clin-caro from 2030-01-01 18:00): field 'ends' is not after starts"),
    (("rotas.2.shift_hours", 5), "rotas[2] (supervisor): field 'shift_days'"),  # both given
    (("rotas.2.colour", "red"), "rotas[2] (supervisor): unknown field 'colour'"),
])
def test_import_of_an_invalid_file_writes_nothing(
    stack: LocalStack, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    edit: tuple[str, Any], expected: str,
) -> None:
    path = tmp_path / "west.yaml"
    doc = export_doc(capsys, path)
    doc["overrides"] = [{"rota": "primary", "clinician": "clin-caro",
                         "starts": "2030-01-01 18:00", "ends": "2030-01-02 08:00"}]
    doc["rotas"] = doc["rotas"][:1] + [dict(doc["rotas"][1], members=["clin-caro"])] \
        + doc["rotas"][2:]  # a valid change too: it must not be written either
    _set(doc, *edit)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    before = programs_table(stack)
    code, out, err = run(capsys, "rota", "import", str(path))
    assert code == 1
    assert "nothing was written" in err
    assert expected in err
    assert programs_table(stack) == before


def test_import_lists_every_error_of_the_file_at_once(
    stack: LocalStack, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("program: west-iop\nextra: 1\nrotas:\n"
                    "  - {name: primary, timezone: Mars/Base, handoff: '08:00', shift_days: 7,"
                    " starts_on: 2026-11-02, members: [clin-ana]}\n"
                    "  - {name: primary, timezone: UTC, handoff: '08:00', shift_days: 7,"
                    " starts_on: 2026-11-02, members: [clin-ana]}\n"
                    "overrides:\n"
                    "  - {rota: primry, clinician: clin-nobody, starts: 2030-01-01 18:00,"
                    " ends: 2030-01-02 08:00, timezone: UTC}\n")
    before = programs_table(stack)
    code, _, err = run(capsys, "rota", "import", str(path))
    assert code == 1
    for expected in ("top level: unknown key 'extra'",
                     "rotas[0] (primary): field 'timezone' 'Mars/Base'",
                     "rotas[1] (primary): the name 'primary' is already used by rotas[0]",
                     "overrides[0] (primry clin-nobody from 2030-01-01 18:00): field 'rota'",
                     "overrides[0] (primry clin-nobody from 2030-01-01 18:00): field "
                     "'clinician' 'clin-nobody' has no clinician item"):
        assert expected in err
    assert programs_table(stack) == before


def test_invalid_yaml_writes_nothing(
    stack: LocalStack, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("program: west-iop\nrotas:\n  - name: primary\n    name: backup\n")
    before = programs_table(stack)
    code, _, err = run(capsys, "rota", "import", str(path))
    assert code == 1
    assert "the key 'name' is given twice (line 4" in err
    assert programs_table(stack) == before


def test_a_valid_import_replaces_the_rotas_removing_those_not_in_the_file(
    stack: LocalStack, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    path = tmp_path / "west.yaml"
    path.write_text(  # unquoted times and dates stay text
        "program: west-iop\n"
        "rotas:\n"
        "  - name: primary\n"
        "    timezone: America/Los_Angeles\n"
        "    handoff: 18:00\n"
        "    shift_days: 7\n"
        "    starts_on: 2026-01-05\n"
        "    members: [clin-ana]\n"
        "  - name: supervisor\n"
        "    timezone: America/Los_Angeles\n"
        "    handoff: 08:00\n"
        "    shift_hours: 12\n"
        "    starts_on: 2026-01-05\n"
        "    members: [clin-caro, clin-ben]\n")
    code, out, err = run(capsys, "rota", "import", str(path), "--dry-run")
    assert code == 0, err
    assert "  - rota#backup" in out
    assert "  ~ rota#primary (handoff: '08:00' -> '18:00', members: " in out
    assert "nobody can be paged for backup" in out  # the gap is shown, as a warning
    assert stored_keys(stack) == ["program", "rota#backup", "rota#primary", "rota#supervisor"]

    code, out, err = run(capsys, "rota", "import", str(path), "--strict")
    assert code == 1
    assert "refused (--strict)" in err
    assert stored_keys(stack) == ["program", "rota#backup", "rota#primary", "rota#supervisor"]

    code, out, err = run(capsys, "rota", "import", str(path))
    assert code == 0, err
    assert "wrote west-iop in one transaction" in out
    assert stored_keys(stack) == ["program", "rota#primary", "rota#supervisor"]
    items = {i["key"]["S"]: i for i in json.loads(programs_table(stack))}
    assert items["rota#primary"]["handoff"] == {"S": "18:00"}
    assert items["rota#primary"]["starts_on"] == {"S": "2026-01-05"}
    assert items["rota#supervisor"]["shift_hours"] == {"N": "12"}
    assert "shift_days" not in items["rota#supervisor"]


def test_a_refused_transaction_writes_nothing(
    stack: LocalStack, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    path = tmp_path / "west.yaml"
    doc = export_doc(capsys, path)
    doc["rotas"] = [r for r in doc["rotas"] if r["name"] != "backup"]
    doc["rotas"][0]["members"] = ["clin-ben", "clin-ana"]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))

    def refuse(self: Any) -> None:
        raise TransactWriteError("Failed to write transaction items", cause=ClientError(
            {"Error": {"Code": "TransactionCanceledException",
                       "Message": "Transaction cancelled"}}, "TransactWriteItems"))

    monkeypatch.setattr(TransactWrite, "_commit", refuse)
    before = programs_table(stack)
    code, _, err = run(capsys, "rota", "import", str(path))
    assert code == 1
    assert "nothing was written" in err and "TransactionCanceledException" in err
    assert programs_table(stack) == before


def test_the_example_file_is_valid_for_the_demo_program(
    stack: LocalStack, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "rota", "import", str(ROOT / "docs" / "rotas.example.yaml"),
                         "--dry-run")
    assert code == 0, err
    assert "  + rota#primary#after-hours" in out
    assert "  + override#primary#20261124T1800#3fa2" in out


# ------------------------------------------------------------------ override


def test_override_adds_an_item_and_show_inside_the_window_names_the_cover(
    stack: LocalStack, capsys: pytest.CaptureFixture[str],
) -> None:
    starts, ends = later(stack, 2, 18), later(stack, 3, 8)
    fmt = "%Y-%m-%d %H:%M"
    code, out, err = run(capsys, "rota", "override", seed.PROGRAM_ID, "primary", "clin-caro",
                         "--from", starts.strftime(fmt), "--to", ends.strftime(fmt))
    assert code == 0, err
    assert f"covers primary from {when(starts, ZONE)} to {when(ends, ZONE)}" in out
    assert "Caro Lindqvist" in line_of(out.split("On call in that window")[1], "primary")
    added = [k for k in stored_keys(stack) if k.startswith("override#")]
    assert len(added) == 1
    assert added[0].startswith(f"override#primary#{starts.strftime('%Y%m%dT%H%M')}#")
    item = {i["key"]["S"]: i for i in json.loads(programs_table(stack))}[added[0]]
    assert item["timezone"] == {"S": seed.TIMEZONE}  # the role's first rota's zone
    assert item["clinician"] == {"S": "clin-caro"}
    created = datetime.fromisoformat(item["created_at"]["S"])
    assert abs(created - stack.clock.now()) < timedelta(minutes=1)

    inside = (starts + timedelta(hours=2)).astimezone(UTC).isoformat()
    code, out, _ = run(capsys, "rota", "show", seed.PROGRAM_ID, "--at", inside)
    assert code == 0
    assert "Caro Lindqvist" in line_of(out, "primary")
    assert added[0] in line_of(out, "primary")
    assert "Ben Okafor" in line_of(out, "backup")
    code, out, _ = run(capsys, "rota", "show", seed.PROGRAM_ID, "--at",
                       (ends + timedelta(minutes=1)).isoformat())
    assert "Ana Alvarez" in line_of(out, "primary")


@pytest.mark.parametrize(("args", "expected"), [
    (("primary", "clin-zed", "2030-01-01 18:00", "2030-01-02 08:00"),
     "'clin-zed' has no clinician item"),
    (("primary", "clin-ben", "2030-01-01 18:00", "2030-01-01 08:00"),
     "--to is not after --from"),
    (("primary", "clin-ben", "tomorrow", "2030-01-01 08:00"), "--from 'tomorrow'"),
])
def test_an_invalid_override_writes_nothing(
    stack: LocalStack, capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
    expected: str,
) -> None:
    role, clinician, starts, ends = args
    before = programs_table(stack)
    code, _, err = run(capsys, "rota", "override", seed.PROGRAM_ID, role, clinician,
                       "--from", starts, "--to", ends)
    assert code == 1
    assert expected in err
    assert programs_table(stack) == before


def test_override_of_an_unknown_role_is_a_usage_error(
    stack: LocalStack, capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "rota", "override", seed.PROGRAM_ID, "primry", "clin-ben",
                       "--from", "2030-01-01 18:00", "--to", "2030-01-02 08:00")
    assert code == 2
    assert "'primry' is not a role of west-iop" in err


# ------------------------------------------------------------------ wiring


def test_the_console_script_entry_point_exists() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    target = project["project"]["scripts"]["crisis-pager"]
    assert target == "admin.cli:main"
    module, _, name = target.partition(":")
    assert getattr(import_module(module), name) is main


def test_the_serve_prompt_runs_rota_commands_in_process(
    stack: LocalStack, capsys: pytest.CaptureFixture[str],
) -> None:
    from local.serve import operator

    capsys.readouterr()
    operator(stack, io.StringIO("rota show west-iop --handoffs 0\nrota check nowhere\nquit\n"))
    out, err = capsys.readouterr()
    assert "Ana Alvarez" in line_of(out, "primary")
    assert "no program 'nowhere'" in err


def test_global_options_that_contradict_this_process_are_refused(
    stack: LocalStack, capsys: pytest.CaptureFixture[str],
) -> None:
    run(capsys, "rota", "show", seed.PROGRAM_ID)  # binds the adapters in this process
    code, _, err = run(capsys, "--programs-table", "other", "rota", "show", seed.PROGRAM_ID)
    assert code == 2
    assert "--programs-table other" in err
    code, _, _ = run(capsys, "rota", "show", seed.PROGRAM_ID,
                     "--programs-table", stack.refs["ProgramsTable"])
    assert code == 0
