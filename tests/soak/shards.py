"""A soak in several processes (``SOAK_PROCESSES=2 make soak``): the local stack is one
Python process, so one run uses one core whatever its concurrency (the GIL). Shard ``k`` of
``P`` runs the seed's incidents ``i`` with ``i % P == k`` on a local stack of its own, with
the same world (programs sharing clinicians) and concurrency; every incident's plan depends
only on (seed, index), so a violation still replays alone with ``SOAK_ONLY``. The shards'
summaries are merged into one report."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.soak.report import Summary, merge, show
from tests.soak.run import Config


def run(config: Config) -> Summary:
    print(f"soak: seed={config.seed} n={config.n} concurrency={config.concurrency} "
          f"scale={config.scale} in {config.processes} processes")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        children = []
        for k in range(config.processes):
            env = dict(os.environ, SOAK_SEED=str(config.seed), SOAK_N=str(config.n),
                       SOAK_CONCURRENCY=str(config.concurrency), SOAK_SCALE=str(config.scale),
                       SOAK_SHARD=f"{k}/{config.processes}", SOAK_PROCESSES="1",
                       SOAK_RESULT=str(Path(tmp) / f"{k}.json"))
            if config.calibrate:
                env["SOAK_CALIBRATE"] = "1"
            log = open(Path(tmp) / f"{k}.log", "w")  # noqa: SIM115 (closed below)
            children.append((subprocess.Popen([sys.executable, "-m", "tests.soak"], env=env,
                                              stdout=log, stderr=subprocess.STDOUT), log))
        failed = []
        for k, (child, log) in enumerate(children):
            child.wait()
            log.close()
            if not (Path(tmp) / f"{k}.json").exists():
                failed.append(k)
                print(f"soak: shard {k} ended without a result (exit {child.returncode}):")
                print((Path(tmp) / f"{k}.log").read_text()[-4000:])
        if failed:
            raise SystemExit(f"soak: shards {failed} failed")
        parts = [Summary.load(Path(tmp) / f"{k}.json") for k in range(config.processes)]
    summary = merge(parts, time.monotonic() - started)
    show(summary)
    return summary
