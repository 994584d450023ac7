"""The Pages port: a rung's claim on its incident (the paging lease) and its page."""

from __future__ import annotations

from datetime import timedelta

from crisis_pager.domain.incident import FOLLOW_UP_BASE, AcceptOutcome
from tests.contract.builders import ANA, BEN, LAPSED, T0, opened, page, paged
from tests.contract.conftest import Ports

LATER = T0 + timedelta(minutes=2)


def test_a_rung_is_claimed_only_forward_and_only_while_open(ports: Ports) -> None:
    opened(ports)
    assert ports.pages.claim_rung("inc_a", 1, "backup", "clin-ben", "tok1", LAPSED) is not None
    got = ports.incidents.get("inc_a")
    assert got is not None
    assert (got.position, got.current_target, got.task_token) == (1, "backup", "tok1")
    assert ports.pages.claim_rung("inc_a", 0, "primary", "clin-ana", "tok0", LAPSED) is None
    # a retry
    assert ports.pages.claim_rung("inc_a", 1, "backup", "clin-ben", "tok1b", LAPSED) is not None
    assert ports.incidents.get("inc_a").task_token == "tok1b"  # type: ignore[union-attr]
    assert ports.incidents.accept("inc_a", "clin-ben", LATER).outcome is AcceptOutcome.ACCEPTED
    assert ports.pages.claim_rung("inc_a", 2, "supervisor", "clin-caro", "tok2", LAPSED) is None
    assert ports.pages.claim_rung("inc_missing", 0, "primary", "clin-ana", "tok", LAPSED) is None


def test_a_follow_up_rung_is_claimed_only_while_the_follow_up_is_open(ports: Ports) -> None:
    opened(ports)
    assert ports.pages.claim_rung("inc_a", FOLLOW_UP_BASE, "supervisor", "clin-caro", "t",
                                  LAPSED) is None  # no follow-up: the crisis is open
    due = LATER + timedelta(hours=24)
    resolved = ports.incidents.resolve("inc_a", "clin-ana", LATER, follow_up_due=due)
    assert resolved.outcome is AcceptOutcome.ACCEPTED
    assert ports.pages.claim_rung("inc_a", FOLLOW_UP_BASE, "supervisor", "clin-caro", "t",
                                  LAPSED) is not None
    assert ports.pages.claim_rung("inc_a", 0, "primary", "clin-ana", "t", LAPSED) is None


def test_the_lease_is_renewed_only_at_the_current_rung_of_an_open_incident(
        ports: Ports) -> None:
    opened(ports)
    assert ports.pages.claim_rung("inc_a", 0, "primary", "clin-ana", "tok0", LAPSED) is not None
    assert ports.pages.renew_lease("inc_a", 0, LATER) is True
    assert ports.pages.renew_lease("inc_a", 1, LATER) is False
    assert ports.pages.claim_rung("inc_a", 1, "backup", "clin-ben", "tok1", LAPSED) is not None
    assert ports.pages.renew_lease("inc_a", 0, LATER) is False
    ports.pages.release_rung("inc_a", 1, T0)
    assert ports.incidents.accept("inc_a", "clin-ben", LATER).outcome is AcceptOutcome.ACCEPTED
    assert ports.pages.renew_lease("inc_a", 1, LATER) is False


def test_a_rungs_page_is_stored_once_and_its_sms_id_set(ports: Ports) -> None:
    opened(ports)
    first = paged(ports)
    assert ports.pages.record_page(page(code="999")) is False
    got = ports.pages.page_for("inc_a", 0)
    assert got is not None
    assert (got.code, got.phone, got.clinician_id, got.sent_at, got.message_sid) == (
        "417", first.phone, "clin-ana", first.sent_at, None)
    ports.pages.set_page_sent("inc_a", 0, "SM1")
    assert ports.pages.page_for("inc_a", 0).message_sid == "SM1"  # type: ignore[union-attr]
    assert ports.pages.page_for("inc_a", 1) is None


def test_a_claim_answers_the_incident_as_it_left_it(ports: Ports) -> None:
    opened(ports)
    claimed = ports.pages.claim_rung("inc_a", 1, "backup", "clin-ben", "tok1", LATER)
    assert claimed is not None and claimed == ports.incidents.get("inc_a")
    assert (claimed.position, claimed.current_target, claimed.task_token) == (1, "backup", "tok1")
    assert ports.pages.claim_rung("inc_missing", 0, "primary", "clin-ana", "t", LATER) is None


def test_the_sms_id_can_end_the_rungs_lease_in_the_same_write(ports: Ports) -> None:
    opened(ports)
    paged(ports, lease_until=LATER + timedelta(minutes=1))  # the SMS is going out
    early = ports.incidents.accept("inc_a", "clin-ana", LATER)
    assert early.outcome is AcceptOutcome.PAGE_IN_FLIGHT
    sent_at = LATER + timedelta(seconds=2)
    ports.pages.set_page_sent("inc_a", 0, "SM1", released_at=sent_at)
    assert ports.pages.page_for("inc_a", 0).message_sid == "SM1"  # type: ignore[union-attr]
    # as release_rung: no acceptance stamped before the page went out, one after it lands
    before = ports.incidents.accept("inc_a", "clin-ana", LATER)
    assert before.outcome is AcceptOutcome.PAGE_IN_FLIGHT
    assert ports.incidents.accept("inc_a", "clin-ana", sent_at).outcome is AcceptOutcome.ACCEPTED


def test_a_late_sms_id_is_kept_when_the_lease_is_another_rungs(ports: Ports) -> None:
    opened(ports)
    paged(ports, lease_until=LATER + timedelta(minutes=1))
    later_rung = LATER + timedelta(minutes=2)
    assert ports.pages.claim_rung("inc_a", 1, "backup", "clin-ben", "tok1", later_rung)
    ports.pages.set_page_sent("inc_a", 0, "SM1", released_at=LATER)
    assert ports.pages.page_for("inc_a", 0).message_sid == "SM1"  # type: ignore[union-attr]
    # the backup's lease is untouched: its page is still going out
    held = ports.incidents.accept("inc_a", "clin-ben", LATER + timedelta(minutes=1))
    assert held.outcome is AcceptOutcome.PAGE_IN_FLIGHT


def test_a_page_keeps_the_program_it_named(ports: Ports) -> None:
    opened(ports)
    paged(ports, program_name="West IOP", hotline_number="+15035550100")
    paged(ports, position=1, clinician_id="clin-ben", phone=BEN)  # stored before pages kept it
    named = ports.pages.page_for("inc_a", 0)
    assert named is not None
    assert (named.program_name, named.hotline_number) == ("West IOP", "+15035550100")
    assert ports.codes.find_page(ANA, "417") == named  # as a reply finds it
    older = ports.pages.page_for("inc_a", 1)
    assert older is not None and (older.program_name, older.hotline_number) == (None, None)


def test_an_undelivered_sms_is_recorded_once_with_twilios_error(ports: Ports) -> None:
    opened(ports)
    paged(ports)
    assert ports.pages.mark_sms_failed("inc_a", 0, LATER, 30003) is True
    assert ports.pages.mark_sms_failed("inc_a", 0, LATER + timedelta(seconds=1), 30007) is False
    got = ports.pages.page_for("inc_a", 0)
    assert got is not None
    assert (got.sms_failed_at, got.error_code) == (LATER, 30003)
    assert ports.pages.mark_sms_failed("inc_a", 1, LATER, 30003) is False  # no such page


def test_a_rungs_one_call_starts_once_and_ends_once_after_it_started(ports: Ports) -> None:
    opened(ports)
    paged(ports)
    assert ports.pages.end_call("inc_a", 0, LATER, "completed") is False  # never started
    assert ports.pages.start_call("inc_a", 0, LATER) is True
    assert ports.pages.start_call("inc_a", 0, LATER) is False
    ports.pages.set_call_sid("inc_a", 0, "CA1")
    got = ports.pages.page_for("inc_a", 0)
    assert got is not None
    assert (got.call_started_at, got.call_sid, got.calling) == (LATER, "CA1", True)
    ended = LATER + timedelta(seconds=40)
    assert ports.pages.end_call("inc_a", 0, ended, "no-answer") is True
    assert ports.pages.end_call("inc_a", 0, ended, "completed") is False
    assert ports.pages.page_for("inc_a", 0).call_ended_at == ended  # type: ignore[union-attr]


def test_a_pass_is_by_the_rungs_clinician_while_it_waits_and_once(ports: Ports) -> None:
    opened(ports)
    paged(ports, position=0, clinician_id="clin-ana")
    assert ports.pages.record_pass("inc_a", 0, "clin-ben", LATER) is False  # not theirs
    assert ports.pages.record_pass("inc_a", 0, "clin-ana", LATER) is True
    assert ports.pages.record_pass("inc_a", 0, "clin-ana", LATER) is False  # once
    assert ports.pages.page_for("inc_a", 0).passed_at == LATER  # type: ignore[union-attr]
    paged(ports, position=1, clinician_id="clin-ben")
    assert ports.pages.record_pass("inc_a", 0, "clin-ana", LATER) is False  # moved on
    assert ports.incidents.accept("inc_a", "clin-caro", LATER).outcome is AcceptOutcome.ACCEPTED
    assert ports.pages.record_pass("inc_a", 1, "clin-ben", LATER) is False  # accepted meanwhile
