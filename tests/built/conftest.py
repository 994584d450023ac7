"""What `make build` made, and what Lambda puts beside it, for the built-artifact checks.

The build is made here when .aws-sam/build is missing or older than its sources (`make
test` runs `make build` first anyway), and the runtime's SDK and the Powertools layer are
installed once into .aws-sam/lambda-provided (layers/shared/build_layer.py provided).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".aws-sam" / "build"
PROVIDED = ROOT / ".aws-sam" / "lambda-provided"
SOURCES = [ROOT / "template.yaml", ROOT / "functions", ROOT / "layers" / "shared"]


def _newest_source() -> float:
    newest = 0.0
    for source in SOURCES:
        files = [source] if source.is_file() else [
            p for p in source.rglob("*") if p.is_file()
            and not {"__pycache__", "crisis_pager.egg-info"} & set(p.parts)]
        newest = max([newest, *(p.stat().st_mtime for p in files)])
    return newest


@pytest.fixture(scope="session")
def build_dir() -> Path:
    if sys.version_info[:2] != (3, 12):
        pytest.skip("the built-artifact checks run on python3.12, Lambda's runtime")
    built = BUILD / "template.yaml"
    if not built.exists() or built.stat().st_mtime < _newest_source():
        subprocess.run(["make", "build"], cwd=ROOT, check=True)
    return BUILD


@pytest.fixture(scope="session")
def provided_dir(build_dir: Path) -> Path:
    """PROVIDED/runtime (boto3, botocore, ...) and PROVIDED/powertools (the public layer)."""
    subprocess.run([sys.executable, str(ROOT / "layers" / "shared" / "build_layer.py"),
                    "provided", str(PROVIDED)], check=True)
    return PROVIDED
