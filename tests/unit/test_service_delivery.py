"""Getting a page to a person, with in-memory ports: Twilio's status reports, the voice
fallback, the call's conversation (answering machines, keys), opt-outs at send time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from crisis_pager.domain import messages
from crisis_pager.domain.errors import SmsError
from crisis_pager.domain.incident import (
    MACHINE_ANSWERS,
    PAGE_LEASE_S,
    Channel,
    Page,
    Severity,
    Status,
)
from crisis_pager.service.voice import VoiceScript
from tests.fakes.clock import FakeClock
from tests.fakes.world import ADMIN, ANA, BEN, World

SM1 = "SM" + "1".zfill(32)  # the FakeSms id of the first SMS
CA1 = "CA" + "1".zfill(32)  # the FakeVoice id of the first call


@pytest.fixture
def world() -> World:
    w = World()
    w.directory.programs["west-iop"]["admin_phones"] = [ADMIN]
    return w


def page_of(world: World, iid: str, position: int = 0) -> Page:
    page = world.incidents.page_for(iid, position)
    assert page is not None
    return page


def failed_sms_then_call(world: World) -> tuple[str, str]:
    """Page the primary; Twilio reports the SMS undelivered; the call to Ana is placed."""
    iid, code = world.started()
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus="undelivered",
                        ErrorCode="30003") == "calling"
    return iid, code


def calls_to(world: World) -> list[tuple[str, tuple[str, int]]]:
    return [(c.to, c.page) for c in world.voice.calls]


# ---------------------------------------------------------------- SMS status reports


def test_a_delivered_report_is_noted_and_changes_nothing_else(world: World) -> None:
    iid, _ = world.started()
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus="delivered") == "delivered"
    delivered = [r for r in world.timeline.entries(iid) if r["kind"] == "page_delivered"]
    assert [(r["position"], r["message_sid"]) for r in delivered] == [(0, SM1)]
    assert page_of(world, iid).sms_failed_at is None
    assert world.voice.calls == [] and world.ladder.woken == []


@pytest.mark.parametrize("status", ["queued", "sent", "accepted"])
def test_intermediate_sms_statuses_are_only_noted(world: World, status: str) -> None:
    iid, _ = world.started()
    rows = len(world.timeline.rows)
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus=status) == "noted"
    assert len(world.timeline.rows) == rows and world.voice.calls == []


@pytest.mark.parametrize("status", ["undelivered", "failed"])
def test_an_sms_that_did_not_arrive_calls_the_same_clinician(world: World,
                                                             status: str) -> None:
    iid, code = world.started()
    world.clock.advance(20)
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus=status,
                        ErrorCode="30006") == "calling"
    page = page_of(world, iid)
    assert (page.sms_failed_at, page.error_code) == (world.clock.now(), 30006)
    assert (page.call_started_at, page.call_sid) == (world.clock.now(), CA1)
    assert calls_to(world) == [(ANA, (iid, 0))]
    assert world.timeline.kinds(iid)[-2:] == ["page_undelivered", "called"]
    assert world.ladder.woken == [], "the rung waits for the call"
    assert world.status_of(iid) is Status.TRIGGERED
    world.assert_no_phi()


@pytest.mark.parametrize("code", ["²", "٣٠٠٠٣", "30003²", "-30003", " 30003", "9" * 5000, ""])
def test_an_error_code_that_is_not_ascii_digits_reads_as_none(world: World, code: str) -> None:
    """Regression (issue 10): ``isdigit`` took "²" and 5,000 nines, which ``int`` refuses
    (a 500), and "٣٠٠٠٣", which it read as 30003. The failure still calls the clinician."""
    iid, _ = world.started()
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus="undelivered",
                        ErrorCode=code) == "calling"
    assert page_of(world, iid).error_code is None


def test_the_smss_status_report_may_come_as_smsstatus(world: World) -> None:
    iid, _ = world.started()
    assert world.status(iid, 0, MessageSid=SM1, SmsStatus="failed") == "calling"


@pytest.mark.parametrize("second", ["undelivered", "failed"])
def test_a_replayed_failure_report_changes_nothing(world: World, second: str) -> None:
    iid, _ = world.started()
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus="undelivered") == "calling"
    page, rows = page_of(world, iid), len(world.timeline.rows)
    world.clock.advance(5)
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus=second) == "duplicate"
    assert len(world.voice.calls) == 1, "never a second call"
    assert page_of(world, iid) == page and len(world.timeline.rows) == rows


def test_a_failure_for_a_rung_the_ladder_has_left_is_recorded_without_a_call(
        world: World) -> None:
    iid, _ = world.started()
    world.ladder.live_tokens.discard("t0")
    world.page(iid, world.advance(iid, 0), token="t1")  # the backup is paged now
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus="undelivered",
                        ErrorCode="30003") == "moved_on"
    page = page_of(world, iid)
    assert page.sms_failed_at is not None and page.error_code == 30003
    assert "page_undelivered" in world.timeline.kinds(iid)
    assert page.call_started_at is None and world.voice.calls == []
    assert world.ladder.woken == []


def test_a_failure_after_an_acceptance_calls_nobody(world: World) -> None:
    iid, code = world.started()
    assert world.reply(ANA, f"A {code}").outcome == "accepted"
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus="failed") == "closed"
    assert world.voice.calls == []


def test_error_21610_records_the_opt_out_and_alerts_the_admins(world: World) -> None:
    iid, _ = world.started()
    sent = len(world.sms.sent)
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus="undelivered",
                        ErrorCode="21610") == "calling"
    assert world.opt_outs.opted_out(ANA)
    assert world.opt_outs.phones[ANA][1] == "Twilio error 21610"
    assert [(p, "Ana" in text) for p, _, text in world.alerts.published] == [("west-iop", True)]
    assert [to for to, _ in world.sms.sent[sent:]] == [ADMIN]
    assert calls_to(world) == [(ANA, (iid, 0))]
    world.assert_no_phi()


def test_a_report_about_another_message_is_ignored(world: World) -> None:
    iid, _ = world.started()
    rows = len(world.timeline.rows)
    other = "SM" + "9".zfill(32)
    assert world.status(iid, 0, MessageSid=other, MessageStatus="undelivered") == \
        "other_message"
    assert world.status(iid, 0, MessageSid=other, MessageStatus="delivered") == "other_message"
    assert page_of(world, iid).sms_failed_at is None
    assert world.voice.calls == [] and len(world.timeline.rows) == rows


def test_a_report_about_an_unknown_page_is_ignored(world: World) -> None:
    iid, _ = world.started()
    assert world.status(iid, 1, MessageSid=SM1, MessageStatus="failed") == "unknown_page"
    assert world.status("inc_nope", 0, CallSid=CA1, CallStatus="no-answer") == "unknown_page"
    assert world.voice.calls == [] and world.ladder.woken == []


def test_a_call_that_cannot_be_placed_moves_the_ladder_on(world: World) -> None:
    iid, _ = world.started()
    world.voice.fail_with = SmsError("unreachable", 13224)
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus="failed") == "failed"
    assert world.ladder.woken == [("t0", {"result": "failed"})]
    failed = [r for r in world.timeline.entries(iid) if r["kind"] == "call_failed"]
    assert [(r["position"], r["error_code"]) for r in failed] == [(0, 13224)]


# ---------------------------------------------------------------- call status reports


@pytest.mark.parametrize("status", ["no-answer", "busy", "completed", "failed", "canceled"])
def test_a_call_that_ends_while_the_rung_waits_moves_the_ladder_on(world: World,
                                                                   status: str) -> None:
    iid, _ = failed_sms_then_call(world)
    assert world.status(iid, 0, CallSid=CA1, CallStatus=status) == "no_answer"
    assert world.ladder.woken == [("t0", {"result": "no_answer"})]
    assert world.incidents.call_statuses[(iid, 0)] == status
    ended = [r for r in world.timeline.entries(iid) if r["kind"] == "call_ended"]
    assert [(r["status"], r["ladder"]) for r in ended] == [(status, "moves on")]
    # Replayed: nothing more.
    assert world.status(iid, 0, CallSid=CA1, CallStatus=status) == "duplicate"
    assert len(world.ladder.woken) == 1


@pytest.mark.parametrize("status", ["queued", "initiated", "ringing", "in-progress"])
def test_a_call_still_going_is_only_noted(world: World, status: str) -> None:
    iid, _ = failed_sms_then_call(world)
    assert world.status(iid, 0, CallSid=CA1, CallStatus=status) == "noted"
    assert world.ladder.woken == [] and page_of(world, iid).call_ended_at is None


def test_the_end_of_a_call_after_an_acceptance_changes_nothing(world: World) -> None:
    iid, _ = failed_sms_then_call(world)
    world.answer_call(iid, 0)
    world.key(iid, 0, "1")
    assert world.status_of(iid) is Status.ACCEPTED
    woken = list(world.ladder.woken)
    assert world.status(iid, 0, CallSid=CA1, CallStatus="completed") == "answered"
    assert world.ladder.woken == woken == [("t0", {"result": "accepted"})]
    assert world.status_of(iid) is Status.ACCEPTED


def test_the_end_of_a_call_for_a_rung_already_left_wakes_nothing(world: World) -> None:
    iid, _ = failed_sms_then_call(world)
    world.ladder.live_tokens.discard("t0")
    world.page(iid, world.advance(iid, 0), token="t1")
    assert world.status(iid, 0, CallSid=CA1, CallStatus="no-answer") == "answered"
    assert world.ladder.woken == []


def test_the_end_of_a_call_after_a_pass_by_key_changes_nothing(world: World) -> None:
    iid, _ = failed_sms_then_call(world)
    world.answer_call(iid, 0)
    world.key(iid, 0, "2")
    assert world.ladder.woken == [("t0", {"result": "passed"})]
    world.status(iid, 0, CallSid=CA1, CallStatus="completed")
    assert world.ladder.woken == [("t0", {"result": "passed"})]
    ended = [r for r in world.timeline.entries(iid) if r["kind"] == "call_ended"]
    assert [r.get("ladder") for r in ended] == [None]  # no ladder decision recorded


def test_an_unanswered_call_after_a_retried_page_invocation_wakes_the_live_token(
        world: World) -> None:
    iid = world.open().incident.incident_id
    step = world.advance(iid, -1)
    world.page(iid, step, token="t0")
    world.ladder.live_tokens.discard("t0")  # Step Functions retried: t0 is dead
    assert world.page(iid, step, token="t0-retry").outcome == "already_sent"
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus="undelivered") == "calling"
    assert world.status(iid, 0, CallSid=CA1, CallStatus="no-answer") == "no_answer"
    assert "t0-retry" not in world.ladder.live_tokens, "the waiting rung was never woken"


def test_a_report_about_another_call_is_ignored(world: World) -> None:
    iid, _ = failed_sms_then_call(world)
    other = "CA" + "9".zfill(32)
    assert world.status(iid, 0, CallSid=other, CallStatus="no-answer") == "other_call"
    assert world.ladder.woken == [] and page_of(world, iid).call_ended_at is None
    assert world.status(iid, 0, CallSid=CA1, CallStatus="no-answer") == "no_answer"


# ---------------------------------------------------------------- the call's conversation


@pytest.mark.parametrize("machine", sorted(MACHINE_ANSWERS))
def test_a_machine_hears_nothing_and_can_never_accept(world: World, machine: str) -> None:
    iid, _ = failed_sms_then_call(world)
    script = world.answer_call(iid, 0, answered_by=machine)
    assert script == VoiceScript()
    assert script.gather is None, "no key can be pressed, so a voicemail never accepts"
    machine_rows = [r for r in world.timeline.entries(iid) if r["kind"] == "call_machine"]
    assert [r["answered_by"] for r in machine_rows] == [machine]
    assert world.status_of(iid) is Status.TRIGGERED
    # The call then ends: the ladder moves on at once.
    assert world.status(iid, 0, CallSid=CA1, CallStatus="completed",
                        AnsweredBy=machine) == "no_answer"
    assert world.ladder.woken == [("t0", {"result": "no_answer"})]


@pytest.mark.parametrize("answered_by", ["human", None, "unknown"])
def test_a_person_hears_the_phi_free_page_and_can_press_a_key(world: World,
                                                              answered_by: str | None) -> None:
    iid, code = failed_sms_then_call(world)
    script = world.answer_call(iid, 0, answered_by=answered_by)
    assert script.gather == messages.voice_page("West IOP", Severity.HIGH, code)
    assert " ".join(code) in script.gather and "Press 1 to accept" in script.gather
    assert script.then == (messages.voice_no_key(),)
    assert not script.repeat
    world.assert_no_phi()


def test_a_call_answered_after_someone_else_accepted_says_who(world: World) -> None:
    iid, code = failed_sms_then_call(world)
    world.ladder.live_tokens.discard("t0")
    backup_code = world.page(iid, world.advance(iid, 0), token="t1").code
    assert world.reply(BEN, f"A {backup_code}").outcome == "accepted"
    script = world.answer_call(iid, 0)
    assert script.gather is None
    assert script.say == (messages.voice_taken(code, "Ben"),)


def test_a_call_answered_after_the_incident_was_resolved_says_it_is_closed(
        world: World) -> None:
    iid, code = failed_sms_then_call(world)
    world.ladder.live_tokens.discard("t0")
    backup_code = world.page(iid, world.advance(iid, 0), token="t1").code
    assert world.reply(BEN, f"R {backup_code}").outcome == "resolved"
    script = world.answer_call(iid, 0)
    assert script.gather is None
    assert script.say == (messages.voice_closed(code),)


def test_key_1_accepts(world: World) -> None:
    iid, code = failed_sms_then_call(world)
    world.answer_call(iid, 0)
    world.clock.advance(30)
    script = world.key(iid, 0, "1")
    assert script.say == (messages.voice_accepted(code, "+15035550100"),)
    assert "5 0 3, 5 5 5, 0 1 0 0" in script.say[0]
    incident = world.incidents.get(iid)
    assert incident is not None and incident.status is Status.ACCEPTED
    assert incident.accepted_by == "clin-ana"
    accepted = [r for r in world.timeline.entries(iid) if r["kind"] == "accepted"]
    assert [(r["clinician_id"], r["via"]) for r in accepted] == [("clin-ana", "voice")]
    assert world.ladder.woken == [("t0", {"result": "accepted"})]
    world.assert_no_phi()


def test_a_replayed_key_1_after_the_acceptance_changes_nothing(world: World) -> None:
    iid, code = failed_sms_then_call(world)
    world.key(iid, 0, "1")
    incident, woken, rows = world.incidents.get(iid), list(world.ladder.woken), \
        len(world.timeline.rows)
    world.clock.advance(5)
    script = world.key(iid, 0, "1")
    assert script.say == (messages.voice_accepted(code, "+15035550100"),)
    assert world.incidents.get(iid) == incident
    assert world.ladder.woken == woken and len(world.timeline.rows) == rows


def test_key_1_after_someone_else_accepted_says_who(world: World) -> None:
    iid, code = failed_sms_then_call(world)
    world.ladder.live_tokens.discard("t0")
    backup_code = world.page(iid, world.advance(iid, 0), token="t1").code
    assert world.reply(BEN, f"A {backup_code}").outcome == "accepted"
    assert world.key(iid, 0, "1").say == (messages.voice_taken(code, "Ben"),)
    incident = world.incidents.get(iid)
    assert incident is not None and incident.accepted_by == "clin-ben"


def test_key_2_passes_and_wakes_the_rung(world: World) -> None:
    iid, code = failed_sms_then_call(world)
    script = world.key(iid, 0, "2")
    assert script.say == (messages.voice_passed(code),)
    assert world.ladder.woken == [("t0", {"result": "passed"})]
    assert page_of(world, iid).passed_at is not None
    assert world.status_of(iid) is Status.TRIGGERED
    passed = [r for r in world.timeline.entries(iid) if r["kind"] == "passed"]
    assert [(r["clinician_id"], r["via"]) for r in passed] == [("clin-ana", "voice")]
    # A second 2 changes nothing.
    again = world.key(iid, 0, "2")
    assert again.say != (messages.voice_passed(code),)
    assert world.ladder.woken == [("t0", {"result": "passed"})]


def test_key_9_repeats_the_page(world: World) -> None:
    iid, _ = failed_sms_then_call(world)
    rows = len(world.timeline.rows)
    assert world.key(iid, 0, "9") == VoiceScript(repeat=True)
    assert world.status_of(iid) is Status.TRIGGERED
    assert world.ladder.woken == [] and len(world.timeline.rows) == rows


@pytest.mark.parametrize("digits", ["0", "3", "8", "#", "*", "12", ""])
def test_any_other_key_apologises_and_repeats(world: World, digits: str) -> None:
    iid, _ = failed_sms_then_call(world)
    rows = len(world.timeline.rows)
    script = world.key(iid, 0, digits)
    assert script == VoiceScript(say=(messages.voice_invalid_key(),), repeat=True)
    assert world.status_of(iid) is Status.TRIGGERED
    assert world.ladder.woken == [] and len(world.timeline.rows) == rows


# ---------------------------------------------------------------- choosing the channel


def test_an_opted_out_clinician_gets_a_call_instead_of_an_sms(world: World) -> None:
    world.opt_outs.opt_out(ANA, world.clock.now(), "STOP")
    iid = world.open().incident.incident_id
    result = world.page(iid, world.advance(iid, -1), token="t0")
    assert result.outcome == "called"
    assert world.sms.sent == []
    assert calls_to(world) == [(ANA, (iid, 0))]
    page = page_of(world, iid)
    assert (page.channel, page.call_sid, page.message_sid) == (Channel.VOICE, CA1, None)
    assert world.timeline.kinds(iid)[-2:] == ["sms_skipped", "called"]
    assert iid not in world.incidents.leases
    # Nobody answers: the ladder moves on at once.
    assert world.status(iid, 0, CallSid=CA1, CallStatus="no-answer") == "no_answer"
    assert world.ladder.woken == [("t0", {"result": "no_answer"})]
    world.assert_no_phi()


def test_the_call_goes_out_under_the_paging_lease(world: World) -> None:
    world.opt_outs.opt_out(ANA, world.clock.now(), "STOP")
    iid = world.open().incident.incident_id
    seen: list[bool] = []
    world.voice.during_send = lambda: seen.append(iid in world.incidents.leases)
    world.page(iid, world.advance(iid, -1), token="t0")
    assert seen == [True] and iid not in world.incidents.leases


@pytest.mark.parametrize("permanent", [True, False])
def test_an_sms_error_at_send_falls_back_to_the_call(world: World, permanent: bool) -> None:
    iid = world.open().incident.incident_id
    world.sms.fail_with = SmsError("Twilio is down (after 3 attempts)", 20500,
                                   permanent=permanent)
    result = world.page(iid, world.advance(iid, -1), token="t0")
    assert (result.outcome, result.error_code) == ("called", 20500)
    assert world.sms.sent == []
    assert calls_to(world) == [(ANA, (iid, 0))]
    page = page_of(world, iid)
    assert page.sms_failed_at is not None and page.error_code == 20500
    assert world.ladder.woken == []


def test_21610_at_send_records_the_opt_out_and_calls(world: World) -> None:
    iid = world.open().incident.incident_id
    world.sms.fail_with = SmsError("unsubscribed recipient", 21610)
    result = world.page(iid, world.advance(iid, -1), token="t0")
    assert result.outcome == "called"
    assert world.opt_outs.opted_out(ANA)
    assert [p for p, _, _ in world.alerts.published] == ["west-iop"]
    assert calls_to(world) == [(ANA, (iid, 0))]


def test_a_send_the_guard_refuses_sends_nothing(world: World) -> None:
    """The backup's page is about to go out when the primary's acceptance lands (the
    sender stalled past its lease): the guard refuses, and no SMS goes out."""
    opened = world.open()
    iid, code = opened.incident.incident_id, opened.incident.code
    world.page(iid, world.advance(iid, -1), token="t0")
    backup = world.advance(iid, 0)

    def stalled_then_accepted() -> None:
        world.clock.advance(11)  # past the claim's lease
        assert world.reply(ANA, f"A {code}").outcome == "accepted"

    world.sms.before_attempt = stalled_then_accepted
    result = world.page(iid, backup, token="t1")
    assert result.outcome == "closed"
    assert world.sms.aborted == 1
    assert [to for to, _ in world.sms.sent] == [ANA], "nothing went to the backup"
    assert world.voice.calls == []
    assert ("t1", {"result": "closed"}) in world.ladder.woken
    assert "paged" not in [r["kind"] for r in world.timeline.entries(iid)
                           if r.get("position") == 1]
    incident = world.incidents.get(iid)
    assert incident is not None and incident.accepted_by == "clin-ana"


def test_a_call_the_guard_refuses_is_not_placed(world: World) -> None:
    iid, code = world.started()
    world.ladder.live_tokens.discard("t0")
    backup = world.advance(iid, 0)
    world.opt_outs.opt_out(BEN, world.clock.now(), "STOP")

    def stalled_then_accepted() -> None:
        world.clock.advance(11)
        assert world.reply(ANA, f"A {code}").outcome == "accepted"

    world.voice.before_attempt = stalled_then_accepted
    result = world.page(iid, backup, token="t1")
    assert result.outcome == "closed"
    assert world.voice.calls == [] and world.voice.aborted == 1
    assert world.status_of(iid) is Status.ACCEPTED


# ---------------------------------------------------------------- SMS and voice at once


def page_at_once(world: World, severity: Severity = Severity.IMMINENT,
                 token: str = "t0") -> tuple[str, str]:
    """Open an incident and page its first rung as the state machine does, passing the
    rung's voice flag: (incident id, code)."""
    from crisis_pager.service.paging import page_rung

    iid = world.open(severity=severity).incident.incident_id
    step = world.advance(iid, -1)
    world.ladder.live_tokens.add(token)
    result = page_rung(iid, step.position, step.rung.target, step.clinician_id, token,
                       window_s=step.rung.window_s, call_at_once=step.rung.voice,
                       **world.ports_for(page_rung))
    assert result.code is not None
    return iid, result.code


def test_an_imminent_primary_gets_the_sms_and_a_call_at_once(world: World) -> None:
    iid, code = page_at_once(world)
    assert [(to, f"A {code}" in body) for to, body in world.sms.sent] == [(ANA, True)]
    assert calls_to(world) == [(ANA, (iid, 0))]
    page = page_of(world, iid)
    assert page.channel is Channel.SMS_AND_VOICE
    assert (page.message_sid, page.call_sid, page.sms_failed_at) == (SM1, CA1, None)
    assert world.timeline.kinds(iid)[-2:] == ["paged", "called"]
    assert world.timeline.entries(iid)[-1]["reason"] == "SMS and voice at once"
    assert world.ladder.woken == [] and iid not in world.incidents.leases
    world.assert_no_phi()


def test_the_at_once_call_goes_out_under_the_paging_lease(world: World) -> None:
    seen: list[bool] = []
    world.voice.during_send = lambda: seen.append(bool(world.incidents.leases))
    page_at_once(world)
    assert seen == [True] and world.incidents.leases == {}


@pytest.mark.parametrize("severity", [Severity.HIGH, Severity.MODERATE])
def test_other_severities_page_by_sms_alone(world: World, severity: Severity) -> None:
    iid, _ = page_at_once(world, severity)
    assert world.voice.calls == [] and page_of(world, iid).channel is Channel.SMS


@pytest.mark.parametrize("status", ["no-answer", "busy", "completed", "failed", "canceled"])
def test_an_unanswered_at_once_call_waits_for_the_sms(world: World, status: str) -> None:
    iid, code = page_at_once(world)
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus="delivered") == "delivered"
    assert world.status(iid, 0, CallSid=CA1, CallStatus=status) == "sms_pending"
    assert world.ladder.woken == [], "the clinician may still reply to the SMS"
    (ended,) = [r for r in world.timeline.entries(iid) if r["kind"] == "call_ended"]
    assert (ended["status"], ended["ladder"]) == (status, "waits for the SMS")
    # ... and they do, within the window.
    world.clock.advance(60)
    assert world.reply(ANA, f"A {code}").outcome == "accepted"
    assert world.ladder.woken == [("t0", {"result": "accepted"})]


def test_a_voicemail_on_the_at_once_call_neither_accepts_nor_moves_on(world: World) -> None:
    iid, _ = page_at_once(world)
    assert world.answer_call(iid, 0, answered_by="machine_end_beep").gather is None
    assert world.status(iid, 0, CallSid=CA1, CallStatus="completed",
                        AnsweredBy="machine_end_beep") == "sms_pending"
    assert world.ladder.woken == [] and world.status_of(iid) is Status.TRIGGERED


def test_an_sms_that_fails_after_the_call_ended_unanswered_moves_on_then(
        world: World) -> None:
    iid, _ = page_at_once(world)
    assert world.status(iid, 0, CallSid=CA1, CallStatus="no-answer") == "sms_pending"
    world.clock.advance(40)
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus="undelivered",
                        ErrorCode="30003") == "no_answer"
    assert world.ladder.woken == [("t0", {"result": "no_answer"})]
    assert len(world.voice.calls) == 1, "the call already was the fallback: never a second"
    # Replayed: nothing more.
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus="undelivered") == "duplicate"
    assert len(world.ladder.woken) == 1


def test_an_sms_that_fails_while_the_call_rings_leaves_the_call_to_decide(
        world: World) -> None:
    iid, _ = page_at_once(world)
    assert world.status(iid, 0, CallSid=CA1, CallStatus="ringing") == "noted"
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus="failed") == "already_calling"
    assert world.ladder.woken == [] and len(world.voice.calls) == 1
    assert world.status(iid, 0, CallSid=CA1, CallStatus="no-answer") == "no_answer"
    assert world.ladder.woken == [("t0", {"result": "no_answer"})]
    (ended,) = [r for r in world.timeline.entries(iid) if r["kind"] == "call_ended"]
    assert ended["ladder"] == "moves on"


def test_key_1_on_the_at_once_call_accepts(world: World) -> None:
    iid, code = page_at_once(world)
    script = world.answer_call(iid, 0)
    assert script.gather == messages.voice_page("West IOP", Severity.IMMINENT, code)
    world.key(iid, 0, "1")
    assert world.status_of(iid) is Status.ACCEPTED
    assert world.status(iid, 0, CallSid=CA1, CallStatus="completed") == "answered"
    assert world.ladder.woken == [("t0", {"result": "accepted"})]


def test_an_sms_pass_then_the_call_ending_changes_nothing_more(world: World) -> None:
    iid, code = page_at_once(world)
    assert world.reply(ANA, f"P {code}").outcome == "passed"
    woken = list(world.ladder.woken)
    assert world.status(iid, 0, CallSid=CA1, CallStatus="no-answer") == "answered"
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus="failed") in {
        "already_calling", "moved_on"}
    assert world.ladder.woken == woken


def test_an_opted_out_clinician_on_a_voice_rung_gets_only_the_call(world: World) -> None:
    world.opt_outs.opt_out(ANA, world.clock.now(), "STOP")
    iid, _ = page_at_once(world)
    assert world.sms.sent == [] and calls_to(world) == [(ANA, (iid, 0))]
    assert page_of(world, iid).channel is Channel.VOICE
    # Nothing else can reach them: an unanswered call moves on at once, as today.
    assert world.status(iid, 0, CallSid=CA1, CallStatus="no-answer") == "no_answer"
    assert world.ladder.woken == [("t0", {"result": "no_answer"})]


def test_an_sms_refused_at_send_makes_the_fallback_call_the_only_call(world: World) -> None:
    world.sms.fail_with = SmsError("invalid number", 21211)
    iid, _ = page_at_once(world)
    assert calls_to(world) == [(ANA, (iid, 0))]
    page = page_of(world, iid)
    assert page.channel is Channel.SMS_AND_VOICE and page.sms_failed_at is not None
    assert [r["reason"] for r in world.timeline.entries(iid) if r["kind"] == "called"] == [
        "SMS refused by Twilio"]
    assert world.status(iid, 0, CallSid=CA1, CallStatus="no-answer") == "no_answer"
    assert world.ladder.woken == [("t0", {"result": "no_answer"})]


def test_a_retried_invocation_places_the_at_once_call_the_first_one_did_not(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from crisis_pager.service.paging import page_rung

    real_start_call = world.incidents.start_call

    def crash(*args: object) -> bool:
        monkeypatch.setattr(world.incidents, "start_call", real_start_call)
        raise RuntimeError("the Lambda died between the SMS and the call")

    monkeypatch.setattr(world.incidents, "start_call", crash)
    with pytest.raises(RuntimeError):
        page_at_once(world)
    iid = next(iter(world.incidents.items))
    assert len(world.sms.sent) == 1 and world.voice.calls == []
    step = world.advance(iid, -1)
    again = page_rung(iid, 0, step.rung.target, step.clinician_id, "t0-retry",
                      window_s=180, call_at_once=True, **world.ports_for(page_rung))
    assert again.outcome == "already_sent"
    assert len(world.sms.sent) == 1 and calls_to(world) == [(ANA, (iid, 0))]


def test_an_at_once_call_that_cannot_be_placed_leaves_the_rung_to_the_sms(
        world: World) -> None:
    world.voice.fail_with = SmsError("Twilio voice unavailable", 20500, permanent=False)
    iid, _ = page_at_once(world)
    assert len(world.sms.sent) == 1
    assert world.ladder.woken == []


def test_an_at_once_call_that_could_not_be_placed_then_a_failed_sms_moves_on(
        world: World) -> None:
    world.voice.fail_with = SmsError("Twilio voice unavailable", 20500, permanent=False)
    iid, _ = page_at_once(world)
    assert world.ladder.woken == []
    assert world.status(iid, 0, MessageSid=SM1, MessageStatus="undelivered",
                        ErrorCode="30003") == "no_answer"
    assert world.ladder.woken == [("t0", {"result": "no_answer"})]


def test_racing_reports_of_the_failed_sms_and_the_ended_call_wake_the_rung(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SMS's failure is recorded (and its handler, seeing the call still going,
    leaves it to the call) just before the call's end is written: the call's handler,
    re-reading the page after its own write, sees the failure and moves on."""
    iid, _ = page_at_once(world)
    real_end_call = world.incidents.end_call

    def sms_report_lands_first(*args: Any) -> bool:
        assert world.status(iid, 0, MessageSid=SM1, MessageStatus="undelivered") == \
            "already_calling"
        return real_end_call(*args)

    monkeypatch.setattr(world.incidents, "end_call", sms_report_lands_first)
    assert world.status(iid, 0, CallSid=CA1, CallStatus="no-answer") == "no_answer"
    assert world.ladder.woken == [("t0", {"result": "no_answer"})]


def test_an_at_once_call_without_a_key_says_the_text_still_counts(world: World) -> None:
    iid, _ = page_at_once(world)
    assert "reply to the text" in " ".join(world.answer_call(iid, 0).then)


def test_a_fallback_call_without_a_key_says_the_next_person_is_paged(world: World) -> None:
    iid, _ = page_at_once(world, Severity.HIGH)
    page = world.incidents.page_for(iid, 0)
    assert page is not None and page.message_sid
    world.status(iid, 0, MessageSid=page.message_sid, MessageStatus="undelivered",
                 ErrorCode="30003")
    assert "page the next person" in " ".join(world.answer_call(iid, 0).then)


# ---------------------------------------------------------------- a task rung keeps its day


def test_a_low_tasks_rung_whose_clinician_cannot_be_reached_waits_out_its_business_day(
        world: World) -> None:
    """A task (``low``: "primary 1bd, supervisor 1bd x5") is not hurried by an unanswered
    call: moving on would page the same supervisor again at once, and a supervisor reached
    only by voice would run through a business week of rungs in minutes, leaving the task
    with nobody."""
    world.opt_outs.opt_out(ANA, world.clock.now(), "STOP")
    iid = world.open(severity=Severity.LOW).incident.incident_id
    step = world.advance(iid, -1)
    assert (step.action, step.rung.business_days) == ("page", 1)
    assert world.page(iid, step, token="t0").outcome == "called"
    assert world.status(iid, 0, CallSid=CA1, CallStatus="no-answer") == "no_answer"
    assert world.ladder.woken == [], "the rung waits for its business day to close"
    (waits,) = [e for e in world.timeline.entries(iid) if e["kind"] == "rung_waits"]
    assert waits["reason"] == "no_answer: a task rung keeps its business day"
    (ended,) = [e for e in world.timeline.entries(iid) if e["kind"] == "call_ended"]
    assert ended["ladder"] == "waits out its business day"
    assert world.status_of(iid) is Status.TRIGGERED  # open, and still Ana's to accept


def test_a_low_tasks_call_that_cannot_be_placed_waits_too(world: World) -> None:
    world.opt_outs.opt_out(ANA, world.clock.now(), "STOP")
    world.voice.fail_with = SmsError("Twilio refused the call", 13224, permanent=True)
    iid = world.open(severity=Severity.LOW).incident.incident_id
    world.page(iid, world.advance(iid, -1), token="t0")
    assert world.ladder.woken == []
    assert "rung_waits" in world.timeline.kinds(iid)


# ---------------------------------------------------------------- the paging lease


class CountingPages:
    """The two lease writes of the Pages port, counted."""

    def __init__(self, renews: bool = True) -> None:
        self.renewed: list[Any] = []
        self.released: list[Any] = []
        self.renews = renews

    def renew_lease(self, incident_id: str, position: int, lease_until: Any) -> bool:
        self.renewed.append(lease_until)
        return self.renews

    def release_rung(self, incident_id: str, position: int, now: Any) -> None:
        self.released.append(now)


def test_a_first_attempt_sends_under_the_claims_lease_and_a_retry_renews_it() -> None:
    from crisis_pager.service.delivery import LEASE_MARGIN_S, PagingLease

    clock, pages = FakeClock(), CountingPages()
    claimed = clock.now() + timedelta(seconds=PAGE_LEASE_S)
    lease = PagingLease(pages, "inc", 0, clock, held_until=claimed, hold=True)  # type: ignore[arg-type]
    assert lease.acquire() and pages.renewed == []  # the claim's lease, just taken
    lease.release()
    assert pages.released == []  # held: page_rung ends it with the SMS's id
    clock.advance(1)
    assert lease.acquire() and pages.renewed == [clock.now() + timedelta(seconds=PAGE_LEASE_S)]
    late = PagingLease(pages, "inc", 0, clock,  # type: ignore[arg-type]
                       held_until=clock.now() + timedelta(seconds=LEASE_MARGIN_S - 1))
    assert late.acquire() and len(pages.renewed) == 2  # too little of it left: renewed
    late.release()
    assert pages.released == [clock.now()]
    closed = PagingLease(CountingPages(renews=False), "inc", 0, clock)  # type: ignore[arg-type]
    assert closed.acquire() is False  # accepted or moved on: the attempt does not go out
