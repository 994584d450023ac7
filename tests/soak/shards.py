"""A soak in several processes (``SOAK_PROCESSES=2 make soak``): the local stack is one
Python process, so one run uses one core whatever its concurrency (the GIL). Shard ``k`` of
``P`` runs the seed's incidents ``i`` with ``i % P == k`` on a local stack of its own, with
the same world (programs sharing clinicians) and concurrency; every incident's plan depends
only on (seed, index), so a violation still replays alone with ``SOAK_ONLY``. The shards'
summaries are merged into one report.

A local stack slows down as it accumulates incidents (moto keeps every execution and its
history, the fake Twilio every request): a 2,000-incident run in 2 stacks went from 17
incidents a minute to under 7 after an hour. So a sharded run uses ceil(n / SOAK_BATCH)
shards (``SOAK_BATCH``, default 100 incidents each), ``P`` of them running at a time, each
on a fresh local stack: the run measures the product at a steady rate."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.soak.report import Summary, merge, show
from tests.soak.run import Config


def run(config: Config) -> Summary:
    shards = max(config.processes, -(-config.n // max(1, config.batch)))
    print(f"soak: seed={config.seed} n={config.n} concurrency={config.concurrency} "
          f"scale={config.scale} in {shards} shards, {config.processes} processes at a time")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        waiting = list(range(shards))
        running: dict[int, tuple[subprocess.Popen[bytes], Any]] = {}
        failed = []
        while waiting or running:
            while waiting and len(running) < config.processes:
                k = waiting.pop(0)
                running[k] = _start(config, k, shards, Path(tmp))
            time.sleep(0.5)
            for k, (child, log) in list(running.items()):
                if child.poll() is None:
                    continue
                log.close()
                del running[k]
                if not (Path(tmp) / f"{k}.json").exists():
                    failed.append(k)
                    print(f"soak: shard {k} ended without a result (exit {child.returncode}):")
                    print((Path(tmp) / f"{k}.log").read_text()[-4000:])
                else:
                    done = shards - len(waiting) - len(running)
                    print(f"soak: shard {k} done ({done}/{shards}, "
                          f"{time.monotonic() - started:.0f} s)", flush=True)
        if failed:
            raise SystemExit(f"soak: shards {failed} failed")
        parts = [Summary.load(Path(tmp) / f"{k}.json") for k in range(shards)]
    summary = merge(parts, time.monotonic() - started)
    show(summary)
    return summary


def _start(config: Config, k: int, shards: int, tmp: Path) -> tuple[subprocess.Popen[bytes], Any]:
    env = dict(os.environ, SOAK_SEED=str(config.seed), SOAK_N=str(config.n),
               SOAK_CONCURRENCY=str(config.concurrency), SOAK_SCALE=str(config.scale),
               SOAK_SHARD=f"{k}/{shards}", SOAK_PROCESSES="1",
               SOAK_RESULT=str(tmp / f"{k}.json"))
    if config.calibrate:
        env["SOAK_CALIBRATE"] = "1"
    log = open(tmp / f"{k}.log", "w")  # noqa: SIM115 (closed by run)
    return subprocess.Popen([sys.executable, "-m", "tests.soak"], env=env,
                            stdout=log, stderr=subprocess.STDOUT), log
