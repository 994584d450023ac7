"""A soak in several processes (``SOAK_PROCESSES=2 make soak``): the local stack is one
Python process, so one run uses one core whatever its concurrency (the GIL). Shard ``k`` of
``M`` runs the seed's incidents ``i`` with ``i % M == k`` on a local stack of its own, with
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.soak.report import Summary, merge, show
from tests.soak.run import Config


def run(config: Config) -> Summary:
    shards = max(config.processes, -(-config.n // max(1, config.batch)))
    print(f"soak: seed={config.seed} n={config.n} concurrency={config.concurrency} "
          f"scale={config.scale} in {shards} shards, {config.processes} processes at a time")
    started = time.monotonic()
    done: list[int] = []
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        def one(k: int) -> bool:
            """Run shard ``k`` in its own process; False when it left no result."""
            log = Path(tmp) / f"{k}.log"
            with log.open("w") as out:
                child = subprocess.run([sys.executable, "-m", "tests.soak"],
                                       env=_env(config, k, shards, Path(tmp)),
                                       stdout=out, stderr=subprocess.STDOUT, check=False)
            if not (Path(tmp) / f"{k}.json").exists():
                print(f"soak: shard {k} ended without a result (exit {child.returncode}):")
                print(log.read_text()[-4000:])
                return False
            done.append(k)
            print(f"soak: shard {k} done ({len(done)}/{shards}, "
                  f"{time.monotonic() - started:.0f} s)", flush=True)
            return True

        with ThreadPoolExecutor(max_workers=config.processes) as pool:
            results = list(pool.map(one, range(shards)))
        failed = [k for k, ok in enumerate(results) if not ok]
        if failed:
            raise SystemExit(f"soak: shards {failed} failed")
        parts = [Summary.load(Path(tmp) / f"{k}.json") for k in range(shards)]
    summary = merge(parts, time.monotonic() - started)
    show(summary)
    return summary


def _env(config: Config, k: int, shards: int, tmp: Path) -> dict[str, str]:
    env = dict(os.environ, SOAK_SEED=str(config.seed), SOAK_N=str(config.n),
               SOAK_CONCURRENCY=str(config.concurrency), SOAK_SCALE=str(config.scale),
               SOAK_SHARD=f"{k}/{shards}", SOAK_PROCESSES="1",
               SOAK_RESULT=str(tmp / f"{k}.json"))
    if config.calibrate:
        env["SOAK_CALIBRATE"] = "1"
    return env
