"""Build the shared layer as Lambda lays a layer out, and what Lambda puts beside it.

    python build_layer.py layer DIR      DIR/python: crisis_pager and requirements.txt's
                                         dependencies, less what Lambda already provides
                                         (sam build runs this: layers/shared/Makefile)
    python build_layer.py provided DIR   DIR/runtime: the python3.12 runtime's SDK
                                         (provided-runtime.txt); DIR/powertools: the public
                                         Powertools layer (provided-powertools.txt), for the
                                         built-artifact check (tests/built)

pip resolves each set for Lambda's platform (CPython 3.12, manylinux x86_64, wheels only):
what Lambda provides first, then requirements.txt constrained to those exact versions, so
the layer's packages work with the runtime's botocore and the Powertools layer's packages;
the provided ones are then left out and the rest installed without resolving again.
Standard library and pip only.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
RUNTIME = HERE / "provided-runtime.txt"
POWERTOOLS = HERE / "provided-powertools.txt"
# Lambda's python3.12 (Amazon Linux 2023, x86_64): the wheels the builder's own platform
# would pick could differ (another OS or architecture).
PLATFORM = [
    "--python-version", "3.12", "--implementation", "cp", "--only-binary=:all:",
    "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_28_x86_64",
    "--platform", "manylinux_2_34_x86_64",
]
Pins = dict[str, str]  # canonical distribution name -> version


def canonical(name: str) -> str:
    """A distribution's name as PEP 503 normalizes it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pip(*args: str) -> str:
    command = [sys.executable, "-m", "pip", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        raise SystemExit(f"build_layer: pip {' '.join(args[:2])} failed:\n{done.stderr}")
    return done.stdout


def resolve(*requirement_files: Path, constraints: Pins | None = None) -> Pins:
    """Every distribution these requirement files need on Lambda, pinned."""
    args = [arg for path in requirement_files for arg in ("-r", str(path))]
    with tempfile.TemporaryDirectory() as scratch:
        if constraints:
            pins = Path(scratch, "constraints.txt")
            pins.write_text("".join(f"{name}=={version}\n"
                                    for name, version in sorted(constraints.items())))
            args += ["-c", str(pins)]
        report = Path(scratch, "report.json")
        # pip takes platform options only with --target, even for a dry run.
        _pip("install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report),
             "--target", str(Path(scratch, "target")), *PLATFORM, *args)
        return {canonical(item["metadata"]["name"]): item["metadata"]["version"]
                for item in json.loads(report.read_text())["install"]}


def install(pins: Pins, target: Path) -> None:
    """Exactly these distributions into target (already resolved: no dependencies)."""
    target.mkdir(parents=True, exist_ok=True)
    if pins:
        _pip("install", "--quiet", "--no-deps", "--no-compile", "--target", str(target),
             *PLATFORM, *(f"{name}=={version}" for name, version in sorted(pins.items())))


def provided() -> tuple[Pins, Pins]:
    """(the runtime's SDK, the Powertools layer's packages), resolved for Lambda."""
    runtime = resolve(RUNTIME)
    everything = resolve(RUNTIME, POWERTOOLS, constraints=runtime)
    powertools = {name: v for name, v in everything.items() if name not in runtime}
    return runtime, powertools


def build_layer(artifacts: Path) -> Pins:
    """The layer's /opt/python: crisis_pager and the dependencies Lambda does not provide.
    Returns what it installed besides crisis_pager."""
    runtime, powertools = provided()
    beside = {**runtime, **powertools}
    needed = resolve(REQUIREMENTS, constraints=beside)
    ours = {name: version for name, version in needed.items() if name not in beside}
    python = artifacts / "python"
    install(ours, python)
    # Console scripts (normalizer, ...), their first line naming the builder's python.
    shutil.rmtree(python / "bin", ignore_errors=True)
    shutil.copytree(HERE / "crisis_pager", python / "crisis_pager", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return ours


def build_provided(root: Path) -> None:
    """root/runtime and root/powertools, rebuilt only when the two files change."""
    stamp = root / ".inputs"
    digest = hashlib.sha256(RUNTIME.read_bytes() + POWERTOOLS.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    shutil.rmtree(root, ignore_errors=True)
    runtime, powertools = provided()
    install(runtime, root / "runtime")
    install(powertools, root / "powertools")
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("layer", "provided"):
        sys.stderr.write(__doc__ or "")
        return 2
    if argv[0] == "layer":
        ours = build_layer(Path(argv[1]))
        sys.stdout.write("shared layer: " + ", ".join(f"{n}=={v}" for n, v in sorted(ours.items()))
                         + "\n")
    else:
        build_provided(Path(argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
