"""``python -m tests.soak`` (``make soak``; ``SOAK_MODE=surge`` for the surge;
``SOAK_PROCESSES=P`` runs the incidents in P processes and merges their reports)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.soak.run import Config, soak, summarize

if __name__ == "__main__":
    if os.environ.get("SOAK_MODE") == "surge":
        from tests.soak.surge import surge

        sys.exit(1 if surge().violations else 0)
    config = Config.from_env()
    if config.processes > 1 and config.only is None:
        from tests.soak import shards

        sys.exit(1 if shards.run(config).violations else 0)
    result = os.environ.get("SOAK_RESULT")  # a shard: its summary goes to the parent
    outcome = soak(config)
    if result:
        summarize(outcome).save(Path(result))
    sys.exit(1 if outcome.violations else 0)
