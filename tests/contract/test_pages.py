"""The Pages port: a rung's claim on its incident (the paging lease) and its page."""

from __future__ import annotations

from datetime import timedelta

from crisis_pager.domain.incident import FOLLOW_UP_BASE, AcceptOutcome
from tests.contract.builders import LAPSED, T0, opened, page, paged
from tests.contract.conftest import Ports

LATER = T0 + timedelta(minutes=2)


def test_a_rung_is_claimed_only_forward_and_only_while_open(ports: Ports) -> None:
    store = ports.store
    opened(store)
    assert store.claim_rung("inc_a", 1, "backup", "clin-ben", "tok1", LAPSED) is True
    got = store.get("inc_a")
    assert got is not None
    assert (got.position, got.current_target, got.task_token) == (1, "backup", "tok1")
    assert store.claim_rung("inc_a", 0, "primary", "clin-ana", "tok0", LAPSED) is False
    assert store.claim_rung("inc_a", 1, "backup", "clin-ben", "tok1b", LAPSED) is True  # retry
    assert store.get("inc_a").task_token == "tok1b"  # type: ignore[union-attr]
    assert store.accept("inc_a", "clin-ben", LATER) is AcceptOutcome.ACCEPTED
    assert store.claim_rung("inc_a", 2, "supervisor", "clin-caro", "tok2", LAPSED) is False
    assert store.claim_rung("inc_missing", 0, "primary", "clin-ana", "tok", LAPSED) is False


def test_a_follow_up_rung_is_claimed_only_while_the_follow_up_is_open(ports: Ports) -> None:
    store = ports.store
    opened(store)
    assert store.claim_rung("inc_a", FOLLOW_UP_BASE, "supervisor", "clin-caro", "t",
                            LAPSED) is False  # no follow-up: the crisis is open
    due = LATER + timedelta(hours=24)
    assert store.resolve("inc_a", "clin-ana", LATER, follow_up_due=due) is AcceptOutcome.ACCEPTED
    assert store.claim_rung("inc_a", FOLLOW_UP_BASE, "supervisor", "clin-caro", "t",
                            LAPSED) is True
    assert store.claim_rung("inc_a", 0, "primary", "clin-ana", "t", LAPSED) is False


def test_the_lease_is_renewed_only_at_the_current_rung_of_an_open_incident(
        ports: Ports) -> None:
    store = ports.store
    opened(store)
    assert store.claim_rung("inc_a", 0, "primary", "clin-ana", "tok0", LAPSED) is True
    assert store.renew_lease("inc_a", 0, LATER) is True
    assert store.renew_lease("inc_a", 1, LATER) is False
    assert store.claim_rung("inc_a", 1, "backup", "clin-ben", "tok1", LAPSED) is True
    assert store.renew_lease("inc_a", 0, LATER) is False
    store.release_rung("inc_a", 1, T0)
    assert store.accept("inc_a", "clin-ben", LATER) is AcceptOutcome.ACCEPTED
    assert store.renew_lease("inc_a", 1, LATER) is False


def test_a_rungs_page_is_stored_once_and_its_sms_id_set(ports: Ports) -> None:
    store = ports.store
    opened(store)
    first = paged(store)
    assert store.record_page(page(code="999")) is False
    got = store.page_for("inc_a", 0)
    assert got is not None
    assert (got.code, got.phone, got.clinician_id, got.sent_at, got.message_sid) == (
        "417", first.phone, "clin-ana", first.sent_at, None)
    store.set_page_sent("inc_a", 0, "SM1")
    assert store.page_for("inc_a", 0).message_sid == "SM1"  # type: ignore[union-attr]
    assert store.page_for("inc_a", 1) is None


def test_an_undelivered_sms_is_recorded_once_with_twilios_error(ports: Ports) -> None:
    store = ports.store
    opened(store)
    paged(store)
    assert store.mark_sms_failed("inc_a", 0, LATER, 30003) is True
    assert store.mark_sms_failed("inc_a", 0, LATER + timedelta(seconds=1), 30007) is False
    got = store.page_for("inc_a", 0)
    assert got is not None
    assert (got.sms_failed_at, got.error_code) == (LATER, 30003)
    assert store.mark_sms_failed("inc_a", 1, LATER, 30003) is False  # no such page


def test_a_rungs_one_call_starts_once_and_ends_once_after_it_started(ports: Ports) -> None:
    store = ports.store
    opened(store)
    paged(store)
    assert store.end_call("inc_a", 0, LATER, "completed") is False  # never started
    assert store.start_call("inc_a", 0, LATER) is True
    assert store.start_call("inc_a", 0, LATER) is False
    store.set_call_sid("inc_a", 0, "CA1")
    got = store.page_for("inc_a", 0)
    assert got is not None
    assert (got.call_started_at, got.call_sid, got.calling) == (LATER, "CA1", True)
    ended = LATER + timedelta(seconds=40)
    assert store.end_call("inc_a", 0, ended, "no-answer") is True
    assert store.end_call("inc_a", 0, ended, "completed") is False
    assert store.page_for("inc_a", 0).call_ended_at == ended  # type: ignore[union-attr]


def test_a_pass_is_by_the_rungs_clinician_while_it_waits_and_once(ports: Ports) -> None:
    store = ports.store
    opened(store)
    paged(store, position=0, clinician_id="clin-ana")
    assert store.record_pass("inc_a", 0, "clin-ben", LATER) is False  # not theirs
    assert store.record_pass("inc_a", 0, "clin-ana", LATER) is True
    assert store.record_pass("inc_a", 0, "clin-ana", LATER) is False  # once
    assert store.page_for("inc_a", 0).passed_at == LATER  # type: ignore[union-attr]
    paged(store, position=1, clinician_id="clin-ben")
    assert store.record_pass("inc_a", 0, "clin-ana", LATER) is False  # moved on
    assert store.accept("inc_a", "clin-caro", LATER) is AcceptOutcome.ACCEPTED
    assert store.record_pass("inc_a", 1, "clin-ben", LATER) is False  # accepted meanwhile
