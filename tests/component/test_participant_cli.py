"""`crisis-pager participant ...` (admin/participant_cli.py), in-process against the local
stack: put (validated, a new version), show, history, locate; nothing is ever overwritten."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from admin.cli import main
from local import seed
from local.stack import LocalStack
from tests.unit.participant_data import PID, document


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(scale=0.001) as s:
        seed.seed(s)
        yield s


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_the_seed_has_a_demo_participant(stack: LocalStack,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "participant", "show", seed.DEMO_PARTICIPANT_ID)
    assert code == 0
    shown = json.loads(out)
    assert shown["program_id"] == seed.PROGRAM_ID and shown["version"] == 1
    assert shown["location"]["crisis_line"] == seed.DEMO_LOCATION["crisis_line"]
    assert shown["location"]["crisis_line"] != seed.PROGRAM["crisis_line"]
    assert [p["consent_to_notify"] for p in shown["support_persons"]] == [True, False]
    assert all(shown["safety_plan"][section] for section in shown["safety_plan"])


def test_put_show_edit_put_and_history(stack: LocalStack, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    pid = "ptc-cli-1"
    code, out, err = run(capsys, "participant", "put",
                         write(tmp_path, "p.json", document(participant_id=pid)), "--by", "kim")
    assert (code, err) == (0, "")
    assert out.strip() == f"saved participant {pid} version 1 (program west-iop, by kim)"

    exported = tmp_path / "shown.json"
    assert run(capsys, "participant", "show", pid, "-o", str(exported))[0] == 0
    edited = json.loads(exported.read_text())
    edited["safety_plan"]["internal_coping"].append("Call the warmline")
    assert run(capsys, "participant", "put", write(tmp_path, "e.json", edited),
               "--by", "lee")[0] == 0
    # The same exported file again: someone saved since it was shown.
    code, _, err = run(capsys, "participant", "put", str(exported), "--by", "kim")
    assert code == 1 and "at version 2, not 1" in err and "nothing saved" in err

    code, out, _ = run(capsys, "participant", "history", pid)
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 2
    assert lines[0].startswith("v000002") and "by lee" in lines[0]
    assert lines[0].endswith("changed: safety_plan")
    assert lines[1].startswith("v000001") and lines[1].endswith("first version")


def test_an_invalid_file_saves_nothing_and_names_the_field(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    bad = document(participant_id="ptc-cli-bad")
    bad["location"]["emergency_call_center"] = "911"
    code, _, err = run(capsys, "participant", "put", write(tmp_path, "bad.json", bad))
    assert code == 1
    assert "field 'location.emergency_call_center'" in err and "nothing saved" in err
    assert run(capsys, "participant", "show", "ptc-cli-bad")[0] == 2
    code, _, err = run(capsys, "participant", "put", write(tmp_path, "x.json", [1]))
    assert code == 1 and "JSON object" in err


def test_locate_records_a_new_version_and_copies_the_rest(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    pid = "ptc-cli-2"
    run(capsys, "participant", "put", write(tmp_path, "p.json", document(participant_id=pid)))
    code, out, _ = run(capsys, "participant", "locate", pid, "--description", "at the library",
                       "--crisis-line", "+15035550401", "--by", "session")
    assert code == 0 and "version 2" in out
    shown = json.loads(run(capsys, "participant", "show", pid)[1])
    assert shown["location"]["description"] == "at the library"
    assert shown["location"]["crisis_line"] == "+15035550401"
    assert shown["location"]["emergency_call_center"] == document()["location"][
        "emergency_call_center"], "unset options keep the current values"
    assert shown["safety_plan"] == document()["safety_plan"]
    confirmed = shown["location"]["confirmed_at"]
    # Re-confirming the same place at the next session: a new version, confirmed now.
    assert run(capsys, "participant", "locate", pid)[0] == 0
    again = json.loads(run(capsys, "participant", "show", pid)[1])
    assert again["version"] == 3 and again["location"]["confirmed_at"] >= confirmed
    code, _, err = run(capsys, "participant", "locate", pid, "--crisis-line", "988")
    assert code == 1 and "location.crisis_line" in err
    assert run(capsys, "participant", "locate", "ptc-nobody")[0] == 2
    assert run(capsys, "participant", "history", PID)[0] == 2
