"""The FollowUps port: after a crisis is resolved, its owner's attempts and close, or a
supervisor taking it over."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crisis_pager.domain.incident import FOLLOW_UP_ATTEMPTS, FOLLOW_UP_BASE, AcceptOutcome
from tests.contract.builders import LAPSED, T0, opened
from tests.contract.conftest import Ports

LATER = T0 + timedelta(minutes=2)
DUE = LATER + timedelta(hours=24)


def resolved_with_follow_up(store: Any, owner: str = "clin-ana") -> None:
    opened(store)
    assert store.resolve("inc_a", owner, LATER, follow_up_due=DUE) is AcceptOutcome.ACCEPTED


def test_the_owner_records_up_to_the_limit_of_attempts(ports: Ports) -> None:
    store = ports.store
    resolved_with_follow_up(store)
    assert store.record_follow_up_attempt("inc_a", "clin-ben", LATER) is None  # not theirs
    counts = [store.record_follow_up_attempt("inc_a", "clin-ana", LATER + timedelta(hours=i))
              for i in range(FOLLOW_UP_ATTEMPTS + 1)]
    assert counts == [*range(1, FOLLOW_UP_ATTEMPTS + 1), None]
    attempts = store.get("inc_a").follow_up_attempts  # type: ignore[union-attr]
    assert attempts == tuple(LATER + timedelta(hours=i) for i in range(FOLLOW_UP_ATTEMPTS))


def test_the_owner_closes_it_once_and_then_no_attempt_lands(ports: Ports) -> None:
    store = ports.store
    resolved_with_follow_up(store)
    assert store.close_follow_up("inc_a", "clin-ben", LATER) is False
    assert store.close_follow_up("inc_a", "clin-ana", LATER) is True
    assert store.close_follow_up("inc_a", "clin-ana", LATER) is False
    got = store.get("inc_a")
    assert got is not None
    assert (got.follow_up_done_at, got.follow_up_done_by) == (LATER, "clin-ana")
    assert store.record_follow_up_attempt("inc_a", "clin-ana", LATER) is None


def test_no_follow_up_no_attempt(ports: Ports) -> None:
    store = ports.store
    opened(store)
    assert store.record_follow_up_attempt("inc_a", "clin-ana", LATER) is None
    assert store.close_follow_up("inc_a", "clin-ana", LATER) is False


def test_the_clinician_an_overdue_follow_up_waits_on_takes_it_over_or_closes_it(
        ports: Ports) -> None:
    store = ports.store
    resolved_with_follow_up(store)
    position = FOLLOW_UP_BASE
    assert store.take_follow_up("inc_a", "clin-caro", position, DUE) is AcceptOutcome.NOT_OPEN
    assert store.claim_rung("inc_a", position, "supervisor", "clin-caro", "t", LAPSED) is True
    assert store.take_follow_up("inc_a", "clin-caro", position, DUE) is AcceptOutcome.ACCEPTED
    got = store.get("inc_a")
    assert got is not None
    assert (got.follow_up_owner, got.follow_up_taken_at) == ("clin-caro", DUE)
    assert store.take_follow_up("inc_a", "clin-caro", position, DUE) is AcceptOutcome.NOT_OPEN
    assert store.claim_rung("inc_a", position + 1, "supervisor", "clin-caro", "t",
                            LAPSED) is False  # taken over: its rungs page no more
    assert store.close_follow_up("inc_a", "clin-caro", DUE) is True
