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


def test_a_violation_leaves_what_the_stack_recorded_of_its_incident(
        monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    """A violation a replay may not reproduce can still be diagnosed: its incident's item,
    timeline, executions and pages are kept, never its summary or participant."""
    import json

    from tests.soak import checks

    real = checks.check

    def one_violation(history: object) -> list[checks.Result]:
        results = real(history)  # type: ignore[arg-type]
        (first, *_) = sorted(history.index_of)  # type: ignore[attr-defined]
        results[0].fail(first, "made up by the test")
        return results

    monkeypatch.setattr(checks, "check", one_violation)
    monkeypatch.setenv("SOAK_EVIDENCE", str(tmp_path))
    outcome = soak(Config(n=2, seed=20261203, concurrency=2, scale=0.002), quiet=True)
    (incident_id, _), = outcome.results[0].violations
    (kept,) = list(tmp_path.glob("soak-evidence-20261203*.json"))  # type: ignore[attr-defined]
    evidence = json.loads(kept.read_text())
    assert list(evidence) == [incident_id]
    record = evidence[incident_id]
    assert record["timeline"][0]["kind"] == "opened"
    assert record["executions"] and record["executions"][0]["events"]
    assert record["incident"]["incident_id"] == incident_id
    assert "summary" not in record["incident"] and "participant_ref" not in record["incident"]
    assert not checks.PII.search(json.dumps(record["incident"]))
