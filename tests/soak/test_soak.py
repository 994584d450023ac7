"""The chaos soak, short: 30 randomized incidents with a fixed seed on the local stack
(``make soak`` runs 200 with a fresh seed; benchmarks/README.md has the long runs)."""

from __future__ import annotations

import pytest

from tests.soak.run import Config, soak

pytestmark = pytest.mark.ladder


def test_thirty_randomized_incidents_keep_every_invariant() -> None:
    outcome = soak(Config(n=30, seed=20261203, concurrency=2, scale=0.002))
    lines = [f"{r.name}: {r.violations}" for r in outcome.results if r.violations]
    assert outcome.violations == 0, (outcome.stuck, lines)
    assert len(outcome.history.incidents) == 30
    assert sum(r.checked for r in outcome.results if r.name.startswith("2")) > 0
