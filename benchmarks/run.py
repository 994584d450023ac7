"""`make bench` (``python -m benchmarks.run``): the figures benchmarks/README.md explains.

1. Cold import of every ``functions/<name>/app.py`` in fresh interpreters with the
   environment its Lambda has, then the first-invocation wiring (the bootstrap accessors
   its handler calls, AWS stubbed), and which heavy modules each one loads (imports.py,
   probe.py).
2. AWS API calls per handler invocation on the local stack, by service.operation: an
   intake POST, one rung's page, an acceptance by SMS (cold and warm container)
   (containers.py, scenarios.py, report.py).
3. Wall time of a whole no-answer ``high`` ladder at the demo's scale (the demo's
   participant on file), and the wall time of each handler invocation during it.
4. timeit of the domain hot paths (hot.py).
7. Crisis care (issue 5): the clinician's secure brief (GET preview, POST open), the
   referral with a participant on file, ``advance`` for a low task after hours and for an
   imminent first rung, the imminent page (SMS and call at once), and the follow-up
   (``R``, ``F <code> tried``, ``F <code> done``).

Figures are printed, never asserted. Everything here stays inside this process and its
children: moto and the fake Twilio transport stand in for AWS and Twilio.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime

from benchmarks.common import RUNS
from benchmarks.hot import measure_hot_paths, measure_rotas, print_hot_paths, print_rotas
from benchmarks.imports import measure_imports, print_imports
from benchmarks.report import print_calls, print_care, print_estimate, print_ladder
from benchmarks.scenarios import measure_stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=RUNS,
                        help=f"fresh interpreters per function (default {RUNS})")
    parser.add_argument("--only", choices=["imports", "stack", "hot", "rotas"], action="append",
                        help="run only these sections (repeatable)")
    args = parser.parse_args(argv)
    only = set(args.only or ["imports", "stack", "hot", "rotas"])
    started = time.perf_counter()
    print(f"crisis-pager benchmarks: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print()
    errors = 0
    imports = fig = None
    if "imports" in only:
        imports = measure_imports(args.runs)
        print_imports(imports, args.runs)
    if "stack" in only:
        fig = measure_stack()
        print_calls(fig)
        print_ladder(fig)
        print_care(fig)
        errors = len(fig.errors)
    if "hot" in only:
        print_hot_paths(measure_hot_paths())
    if "rotas" in only:
        print_rotas(measure_rotas())
    if imports is not None and fig is not None:
        print_estimate(imports, fig)
    print(f"(benchmarks took {time.perf_counter() - started:.0f} s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
