"""A short ladder on the local stack against the built artifacts (tests/built/built_ladder.py)
in a fresh interpreter whose sys.path puts the built layer before the venv: nothing from
layers/shared or functions/ may be imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.built.conftest import ROOT

pytestmark = pytest.mark.build


def test_a_crisis_is_paged_and_accepted_with_the_built_artifacts(build_dir: Path) -> None:
    layer = build_dir / "SharedLayer" / "python"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(layer), str(ROOT)])}
    done = subprocess.run([sys.executable, "-P", "-m", "tests.built.built_ladder",
                           str(build_dir)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-5000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])

    assert facts["reply"][0] == 200 and "Accepted" in facts["reply"][1]
    assert facts["execution"] == "SUCCEEDED" and facts["incident"] == "accepted"
    assert facts["paged"] == [facts["primary"]], "the primary is paged, nobody after"
    assert facts["callbacks"] == ["accepted"] and facts["verified"]
    assert facts["errors"] == []

    modules = facts["modules"]
    assert not [name for name in modules if name.split(".")[0] == "functions"], modules
    handlers = [name for name in modules if name.startswith("_built_")]
    assert handlers, "the handlers come from the built function folders"
    for name, path in modules.items():
        assert path and build_dir.resolve() in Path(path).resolve().parents, (name, path)


def test_the_built_mode_refuses_crisis_pager_from_the_source_tree(tmp_path: Path) -> None:
    from local.stack import LocalStack
    from local.template import TemplateError

    # This process imports crisis_pager from layers/shared: a "built" run would test that.
    with pytest.raises(TemplateError, match="not from the built layer"):
        with LocalStack(build_dir=tmp_path, capture_output=False):
            pass
