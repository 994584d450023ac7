"""1. Cold import of every ``functions/<name>/app.py`` in fresh interpreters with the
environment its Lambda has (benchmarks/probe.py in each), then the first-invocation wiring
(the bootstrap accessors its handler calls, AWS stubbed), and the heavy modules it loads."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from typing import Any

from benchmarks.common import (
    ACCOUNT,
    HEAVY,
    MODEL_MODULES,
    PROBE,
    REGION,
    ROOT,
    accessors_of,
    breakdown,
    folders,
    ms,
    table,
)


class _FakeRefs(dict[str, str]):
    """Template references resolved to plausible names and ARNs (nothing is called)."""

    def __missing__(self, key: str) -> str:
        name, _, attr = key.partition(".")
        return f"arn:aws:bench:{REGION}:{ACCOUNT}:{name}" if attr else f"crisis-pager-{name}"

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[key]


def lambda_environments() -> dict[str, dict[str, str]]:
    from local import template as sam

    tpl = sam.load(ROOT / "template.yaml")
    refs = _FakeRefs({"AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
                      "AWS::StackName": "crisis-pager", "AWS::Partition": "aws",
                      "AWS::URLSuffix": "amazonaws.com", **tpl.parameter_defaults()})
    for lid in tpl.tables:
        refs[lid] = "crisis-pager-" + lid.removesuffix("Table").lower()
    for lid in tpl.secrets:
        refs[lid] = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:crisis-pager/{lid}-AbCdEf"
    for lid in tpl.topics:
        refs[lid] = f"arn:aws:sns:{REGION}:{ACCOUNT}:crisis-pager-{lid}"
    for lid in tpl.state_machines:
        refs[lid] = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:crisis-pager-ladder"
    envs = {}
    for folder in folders():
        spec = tpl.function_by_folder(folder)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            # Lambda hands every function role credentials in the environment; fakes here
            # (the probe never signs a request). No config files: nothing from this machine.
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            "AWS_LAMBDA_FUNCTION_NAME": "crisis-pager-" + folder.replace("_", "-"),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "_HANDLER": spec.handler,
        }
        env.update(spec.resolved_environment(refs))
        envs[folder] = env
    return envs


def _probe(folder: str, env: dict[str, str], *, importtime: bool = False,
           models: bool = False) -> tuple[dict[str, Any], str]:
    argv = [sys.executable, *(["-X", "importtime"] if importtime else []), str(PROBE),
            folder, ",".join(accessors_of(folder)), ",".join(HEAVY.values()),
            "models" if models else "-", ",".join(MODEL_MODULES)]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False,
                          timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"probe of {folder} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def _self_time_by_package(stderr: str) -> Counter[str]:
    """Self import time (us) per top-level package, between the probe's markers."""
    inside, by_package = False, Counter[str]()
    for line in stderr.splitlines():
        if line.startswith("@@bench-import-start"):
            inside = True
        elif line.startswith("@@bench-import-end"):
            break
        elif inside and line.startswith("import time:"):
            parts = line.split("|")
            if len(parts) == 3 and parts[0].split(":")[1].strip().isdigit():
                by_package[parts[2].strip().split(".")[0]] += int(parts[0].split(":")[1])
    return by_package


@dataclass
class ImportFigures:
    folder: str
    import_s: list[float]
    wiring_s: list[float]
    after_import: list[str]
    after_wiring: list[str]
    modules: tuple[int, int]
    calls: list[str]
    packages: Counter[str]


@dataclass
class Imports:
    functions: list[ImportFigures]
    model_client_s: dict[str, list[float]]  # PynamoDB model -> first-request client build


def measure_imports(runs: int) -> Imports:
    envs = lambda_environments()
    label = {module: name for name, module in HEAVY.items()}
    figures = []
    model_client_s: dict[str, list[float]] = {}
    for i, folder in enumerate(folders()):
        # One untimed run first (bytecode written, file cache warm) under -X importtime,
        # used only to attribute import time to packages.
        _, stderr = _probe(folder, envs[folder], importtime=True)
        # The first function's runs also time each PynamoDB model's first client, after
        # everything else is measured (the same for every function).
        samples = [_probe(folder, envs[folder], models=i == 0)[0] for _ in range(runs)]
        for sample in samples:
            for model, seconds in sample["clients"].items():
                model_client_s.setdefault(model, []).append(seconds)
        last = samples[-1]
        figures.append(ImportFigures(
            folder=folder,
            import_s=[s["import_s"] for s in samples],
            wiring_s=[s["wiring_s"] for s in samples],
            after_import=[label[m] for m in last["after_import"]],
            after_wiring=[label[m] for m in last["after_wiring"]
                          if m not in last["after_import"]],
            modules=(last["modules_import"], last["modules_wired"]),
            calls=last["calls"],
            packages=_self_time_by_package(stderr),
        ))
    return Imports(figures, model_client_s)


def print_imports(imports: Imports, runs: int) -> None:
    figures = imports.functions
    print(f"1. Cold import per function (fresh interpreter, Lambda env; median/min of {runs}, ms)")
    rows = []
    for f in figures:
        rows.append([
            f.folder,
            ms(statistics.median(f.import_s)), ms(min(f.import_s)),
            ms(statistics.median(f.wiring_s)), ms(min(f.wiring_s)),
            f"{f.modules[0]}/{f.modules[1]}",
            ", ".join(f.after_import) or "-",
            ", ".join(f.after_wiring) or "-",
        ])
    table(["function", "import", "min", "+wiring", "min", "modules", "heavy at import",
           "added by wiring"], rows, right={1, 2, 3, 4, 5})
    wired = [f"{f.folder}: {breakdown(Counter(f.calls))}" for f in figures if f.calls]
    if wired:
        print("   AWS calls made by the wiring itself (stubbed): " + "; ".join(wired))
    if imports.model_client_s:
        per_model = {m: statistics.median(v) for m, v in imports.model_client_s.items()}
        print(f"   first request on each PynamoDB model (the first builds the one shared botocore "
              f"client): median {ms(statistics.median(per_model.values()))} ms per model")
        print("     " + ", ".join(f"{m} {ms(v)}" for m, v in per_model.items()))
    print()
    print("   where import time goes (self time by top-level package, one -X importtime run, ms)")
    rows = []
    for f in figures:
        total = sum(f.packages.values())
        top = ", ".join(f"{pkg} {us / 1000:.0f}" for pkg, us in f.packages.most_common(5))
        rows.append([f.folder, f"{total / 1000:.0f}", top])
    table(["function", "total", "top packages"], rows, right={1})
    print()
