"""The Incidents port: an incident's lifecycle, each change a conditional write."""

from __future__ import annotations

from datetime import timedelta

from crisis_pager.domain.incident import AcceptOutcome, Severity, Status
from tests.contract.builders import T0, incident, opened
from tests.contract.conftest import Ports

LATER = T0 + timedelta(minutes=2)


def test_an_incident_is_created_once_and_read_back(ports: Ports) -> None:
    store = ports.store
    first = incident()
    assert store.create(first) is True
    assert store.create(incident(summary="another", severity=Severity.LOW, code="999")) is False
    got = store.get("inc_a")
    assert got is not None
    assert (got.summary, got.severity, got.code, got.status) == (
        "a summary", Severity.HIGH, "417", Status.TRIGGERED)
    assert got.rungs == first.rungs and got.opened_at == T0
    assert store.get("inc_missing") is None


def test_codes_claimed_in_one_program_are_distinct_numbers(ports: Ports) -> None:
    codes = [ports.store.claim_code("west-iop", f"inc_{i}", T0) for i in range(20)]
    assert len(set(codes)) == 20
    assert all(code.isdigit() and len(code) >= 3 for code in codes)


def test_an_open_incident_is_accepted_once(ports: Ports) -> None:
    store = ports.store
    opened(store)
    assert store.accept("inc_a", "clin-ana", LATER) is AcceptOutcome.ACCEPTED
    got = store.get("inc_a")
    assert got is not None
    assert (got.status, got.accepted_by, got.accepted_at) == (Status.ACCEPTED, "clin-ana", LATER)
    assert store.accept("inc_a", "clin-ben", LATER) is AcceptOutcome.NOT_OPEN
    assert store.accept("inc_missing", "clin-ben", LATER) is AcceptOutcome.NOT_OPEN
    assert store.get("inc_a").accepted_by == "clin-ana"  # type: ignore[union-attr]


def test_an_acceptance_waits_for_a_page_being_sent_and_is_never_stamped_before_it(
        ports: Ports) -> None:
    store = ports.store
    opened(store)
    sending_until = LATER + timedelta(seconds=30)
    assert store.claim_rung("inc_a", 0, "primary", "clin-ana", "tok", sending_until) is True
    assert store.accept("inc_a", "clin-ana", LATER) is AcceptOutcome.PAGE_IN_FLIGHT
    assert store.get("inc_a").status is Status.TRIGGERED  # type: ignore[union-attr]
    sent_at = LATER + timedelta(seconds=3)
    store.release_rung("inc_a", 0, sent_at)
    # An acceptance that read its clock before the page went out must retry later.
    assert store.accept("inc_a", "clin-ana", LATER) is AcceptOutcome.PAGE_IN_FLIGHT
    assert store.accept("inc_a", "clin-ana", sent_at) is AcceptOutcome.ACCEPTED


def test_a_resolve_is_by_anyone_while_open_and_only_by_the_accepter_after(
        ports: Ports) -> None:
    store = ports.store
    opened(store, "inc_a")
    assert store.resolve("inc_a", "clin-ben", LATER) is AcceptOutcome.ACCEPTED
    resolved = store.get("inc_a")
    assert resolved is not None
    assert (resolved.status, resolved.resolved_by, resolved.resolved_at) == (
        Status.RESOLVED, "clin-ben", LATER)
    assert resolved.follow_up_due_at is None

    opened(store, "inc_b")
    assert store.accept("inc_b", "clin-ana", LATER) is AcceptOutcome.ACCEPTED
    assert store.resolve("inc_b", "clin-ben", LATER) is AcceptOutcome.NOT_OPEN
    due = LATER + timedelta(hours=24)
    assert store.resolve("inc_b", "clin-ana", LATER, follow_up_due=due) is AcceptOutcome.ACCEPTED
    got = store.get("inc_b")
    assert got is not None
    assert (got.status, got.follow_up_due_at, got.follow_up_owner) == (
        Status.RESOLVED, due, "clin-ana")
    assert store.resolve("inc_b", "clin-ana", LATER) is AcceptOutcome.NOT_OPEN


def test_only_a_triggered_incident_is_referred(ports: Ports) -> None:
    store = ports.store
    opened(store, "inc_a")
    referral = {"crisis_line": "+15035550111"}
    assert store.refer("inc_a", LATER, referral) is True
    got = store.get("inc_a")
    assert got is not None
    assert (got.status, got.referred_at, got.referral) == (Status.REFERRED, LATER, referral)
    assert store.refer("inc_a", LATER, referral) is False  # referred already
    # A referred crisis can still be accepted (the warm handoff goes on meanwhile).
    assert store.accept("inc_a", "clin-ana", LATER) is AcceptOutcome.ACCEPTED
    opened(store, "inc_b")
    assert store.accept("inc_b", "clin-ana", LATER) is AcceptOutcome.ACCEPTED
    assert store.refer("inc_b", LATER, referral) is False


def test_the_ladders_end_keeps_its_first_instant_and_only_while_open(ports: Ports) -> None:
    store = ports.store
    opened(store, "inc_a")
    assert store.end_ladder("inc_a", LATER) is True
    assert store.end_ladder("inc_a", LATER + timedelta(minutes=5)) is True
    assert store.get("inc_a").ladder_ended_at == LATER  # type: ignore[union-attr]
    opened(store, "inc_b")
    assert store.accept("inc_b", "clin-ana", LATER) is AcceptOutcome.ACCEPTED
    assert store.end_ladder("inc_b", LATER) is False
    assert store.get("inc_b").ladder_ended_at is None  # type: ignore[union-attr]


def test_the_ladder_is_marked_started(ports: Ports) -> None:
    store = ports.store
    opened(store)
    assert store.get("inc_a").ladder_started is False  # type: ignore[union-attr]
    store.mark_ladder_started("inc_a")
    assert store.get("inc_a").ladder_started is True  # type: ignore[union-attr]
    store.mark_ladder_started("inc_missing")  # no incident: nothing happens, no error
    assert store.get("inc_missing") is None
