"""``python -m tests.soak`` (``make soak``; ``SOAK_MODE=surge`` for the surge)."""

from __future__ import annotations

import os
import sys

from tests.soak.run import Config, soak

if __name__ == "__main__":
    if os.environ.get("SOAK_MODE") == "surge":
        from tests.soak.surge import surge

        sys.exit(1 if surge().violations else 0)
    sys.exit(1 if soak(Config.from_env()).violations else 0)
