"""The Incidents port: an incident's lifecycle, each change a conditional write."""

from __future__ import annotations

from datetime import timedelta

from crisis_pager.domain.incident import AcceptOutcome, Severity, Status
from tests.contract.builders import T0, incident, opened
from tests.contract.conftest import Ports

LATER = T0 + timedelta(minutes=2)


def test_an_incident_is_created_once_and_read_back(ports: Ports) -> None:
    first = incident()
    assert ports.incidents.create(first) is True
    again = incident(summary="another", severity=Severity.LOW, code="999")
    assert ports.incidents.create(again) is False
    got = ports.incidents.get("inc_a")
    assert got is not None
    assert (got.summary, got.severity, got.code, got.status) == (
        "a summary", Severity.HIGH, "417", Status.TRIGGERED)
    assert got.rungs == first.rungs and got.opened_at == T0
    assert ports.incidents.get("inc_missing") is None


def test_codes_claimed_in_one_program_are_distinct_numbers(ports: Ports) -> None:
    codes = [ports.incidents.claim_code("west-iop", f"inc_{i}", T0) for i in range(20)]
    assert len(set(codes)) == 20
    assert all(code.isdigit() and len(code) >= 3 for code in codes)


def test_an_open_incident_is_accepted_once(ports: Ports) -> None:
    opened(ports)
    assert ports.incidents.accept("inc_a", "clin-ana", LATER).outcome is AcceptOutcome.ACCEPTED
    got = ports.incidents.get("inc_a")
    assert got is not None
    assert (got.status, got.accepted_by, got.accepted_at) == (Status.ACCEPTED, "clin-ana", LATER)
    assert ports.incidents.accept("inc_a", "clin-ben", LATER).outcome is AcceptOutcome.NOT_OPEN
    missing = ports.incidents.accept("inc_missing", "clin-ben", LATER)
    assert missing.outcome is AcceptOutcome.NOT_OPEN
    assert ports.incidents.get("inc_a").accepted_by == "clin-ana"  # type: ignore[union-attr]


def test_an_acceptance_waits_for_a_page_being_sent_and_is_never_stamped_before_it(
        ports: Ports) -> None:
    opened(ports)
    sending_until = LATER + timedelta(seconds=30)
    assert ports.pages.claim_rung("inc_a", 0, "primary", "clin-ana", "tok",
                                  sending_until) is not None
    in_flight = ports.incidents.accept("inc_a", "clin-ana", LATER)
    assert in_flight.outcome is AcceptOutcome.PAGE_IN_FLIGHT
    assert ports.incidents.get("inc_a").status is Status.TRIGGERED  # type: ignore[union-attr]
    sent_at = LATER + timedelta(seconds=3)
    ports.pages.release_rung("inc_a", 0, sent_at)
    # An acceptance that read its clock before the page went out must retry later.
    early = ports.incidents.accept("inc_a", "clin-ana", LATER)
    assert early.outcome is AcceptOutcome.PAGE_IN_FLIGHT
    assert ports.incidents.accept("inc_a", "clin-ana", sent_at).outcome is AcceptOutcome.ACCEPTED


def test_a_resolve_is_by_anyone_while_open_and_only_by_the_accepter_after(
        ports: Ports) -> None:
    opened(ports, "inc_a")
    assert ports.incidents.resolve("inc_a", "clin-ben", LATER).outcome is AcceptOutcome.ACCEPTED
    resolved = ports.incidents.get("inc_a")
    assert resolved is not None
    assert (resolved.status, resolved.resolved_by, resolved.resolved_at) == (
        Status.RESOLVED, "clin-ben", LATER)
    assert resolved.follow_up_due_at is None

    opened(ports, "inc_b")
    assert ports.incidents.accept("inc_b", "clin-ana", LATER).outcome is AcceptOutcome.ACCEPTED
    assert ports.incidents.resolve("inc_b", "clin-ben", LATER).outcome is AcceptOutcome.NOT_OPEN
    due = LATER + timedelta(hours=24)
    resolved = ports.incidents.resolve("inc_b", "clin-ana", LATER, follow_up_due=due)
    assert resolved.outcome is AcceptOutcome.ACCEPTED
    got = ports.incidents.get("inc_b")
    assert got is not None
    assert (got.status, got.follow_up_due_at, got.follow_up_owner) == (
        Status.RESOLVED, due, "clin-ana")
    assert ports.incidents.resolve("inc_b", "clin-ana", LATER).outcome is AcceptOutcome.NOT_OPEN


def test_only_a_triggered_incident_is_referred(ports: Ports) -> None:
    opened(ports, "inc_a")
    referral = {"crisis_line": "+15035550111"}
    assert ports.incidents.refer("inc_a", LATER, referral) is True
    got = ports.incidents.get("inc_a")
    assert got is not None
    assert (got.status, got.referred_at, got.referral) == (Status.REFERRED, LATER, referral)
    assert ports.incidents.refer("inc_a", LATER, referral) is False  # referred already
    # A referred crisis can still be accepted (the warm handoff goes on meanwhile).
    assert ports.incidents.accept("inc_a", "clin-ana", LATER).outcome is AcceptOutcome.ACCEPTED
    opened(ports, "inc_b")
    assert ports.incidents.accept("inc_b", "clin-ana", LATER).outcome is AcceptOutcome.ACCEPTED
    assert ports.incidents.refer("inc_b", LATER, referral) is False


def test_the_ladders_end_keeps_its_first_instant_and_only_while_open(ports: Ports) -> None:
    opened(ports, "inc_a")
    assert ports.incidents.end_ladder("inc_a", LATER) is True
    assert ports.incidents.end_ladder("inc_a", LATER + timedelta(minutes=5)) is True
    assert ports.incidents.get("inc_a").ladder_ended_at == LATER  # type: ignore[union-attr]
    opened(ports, "inc_b")
    assert ports.incidents.accept("inc_b", "clin-ana", LATER).outcome is AcceptOutcome.ACCEPTED
    assert ports.incidents.end_ladder("inc_b", LATER) is False
    assert ports.incidents.get("inc_b").ladder_ended_at is None  # type: ignore[union-attr]




def test_a_close_answers_the_incident_as_written_or_as_it_stands(ports: Ports) -> None:
    opened(ports)
    assert ports.pages.claim_rung("inc_a", 1, "backup", "clin-ben", "tok1", T0) is not None
    accepted = ports.incidents.accept("inc_a", "clin-ben", LATER)
    assert accepted.outcome is AcceptOutcome.ACCEPTED and accepted.incident is not None
    assert accepted.incident == ports.incidents.get("inc_a")  # what a read would answer
    assert (accepted.incident.status, accepted.incident.accepted_by, accepted.incident.position,
            accepted.incident.task_token) == (Status.ACCEPTED, "clin-ben", 1, "tok1")
    refused = ports.incidents.accept("inc_a", "clin-ana", LATER)
    assert refused.outcome is AcceptOutcome.NOT_OPEN
    assert refused.incident == accepted.incident  # why not: clin-ben has it
    missing = ports.incidents.accept("inc_missing", "clin-ana", LATER)
    assert (missing.outcome, missing.incident) == (AcceptOutcome.NOT_OPEN, None)
    resolved = ports.incidents.resolve("inc_a", "clin-ben", LATER + timedelta(minutes=1))
    assert resolved.incident == ports.incidents.get("inc_a")
    assert resolved.incident is not None and resolved.incident.status is Status.RESOLVED
