"""Getting a page to a person, with in-memory ports: Twilio's status reports, the voice
fallback, the call's conversation (answering machines, keys), opt-outs at send time."""

from __future__ import annotations

import pytest

from crisis_pager.domain import messages
from crisis_pager.domain.incident import MACHINE_ANSWERS, Channel, Page, Severity, Status
from crisis_pager.service.delivery import VoiceScript
from crisis_pager.service.ports import SmsError
from tests.unit.fakes import ADMIN, ANA, BEN, World

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
    assert [r["ladder"] for r in ended] == [None]


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
