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


def resolved_with_follow_up(ports: Any, owner: str = "clin-ana") -> None:
    opened(ports)
    accepted = ports.incidents.resolve("inc_a", owner, LATER, follow_up_due=DUE)
    assert accepted.outcome is AcceptOutcome.ACCEPTED


def test_the_owner_records_up_to_the_limit_of_attempts(ports: Ports) -> None:
    resolved_with_follow_up(ports)
    record = ports.follow_ups.record_follow_up_attempt
    assert record("inc_a", "clin-ben", LATER) is None  # not theirs
    counts = [record("inc_a", "clin-ana", LATER + timedelta(hours=i))
              for i in range(FOLLOW_UP_ATTEMPTS + 1)]
    assert counts == [*range(1, FOLLOW_UP_ATTEMPTS + 1), None]
    attempts = ports.incidents.get("inc_a").follow_up_attempts  # type: ignore[union-attr]
    assert attempts == tuple(LATER + timedelta(hours=i) for i in range(FOLLOW_UP_ATTEMPTS))


def test_the_owner_closes_it_once_and_then_no_attempt_lands(ports: Ports) -> None:
    resolved_with_follow_up(ports)
    assert ports.follow_ups.close_follow_up("inc_a", "clin-ben", LATER) is False
    assert ports.follow_ups.close_follow_up("inc_a", "clin-ana", LATER) is True
    assert ports.follow_ups.close_follow_up("inc_a", "clin-ana", LATER) is False
    got = ports.incidents.get("inc_a")
    assert got is not None
    assert (got.follow_up_done_at, got.follow_up_done_by) == (LATER, "clin-ana")
    assert ports.follow_ups.record_follow_up_attempt("inc_a", "clin-ana", LATER) is None


def test_no_follow_up_no_attempt(ports: Ports) -> None:
    opened(ports)
    assert ports.follow_ups.record_follow_up_attempt("inc_a", "clin-ana", LATER) is None
    assert ports.follow_ups.close_follow_up("inc_a", "clin-ana", LATER) is False


def test_the_clinician_an_overdue_follow_up_waits_on_takes_it_over_or_closes_it(
        ports: Ports) -> None:
    resolved_with_follow_up(ports)
    position = FOLLOW_UP_BASE
    take = ports.follow_ups.take_follow_up
    assert take("inc_a", "clin-caro", position, DUE).outcome is AcceptOutcome.NOT_OPEN
    assert ports.pages.claim_rung("inc_a", position, "supervisor", "clin-caro", "t",
                                  LAPSED) is not None
    assert take("inc_a", "clin-caro", position, DUE).outcome is AcceptOutcome.ACCEPTED
    got = ports.incidents.get("inc_a")
    assert got is not None
    assert (got.follow_up_owner, got.follow_up_taken_at) == ("clin-caro", DUE)
    assert take("inc_a", "clin-caro", position, DUE).outcome is AcceptOutcome.NOT_OPEN
    assert ports.pages.claim_rung("inc_a", position + 1, "supervisor", "clin-caro", "t",
                                  LAPSED) is None  # taken over: its rungs page no more
    assert ports.follow_ups.close_follow_up("inc_a", "clin-caro", DUE) is True
