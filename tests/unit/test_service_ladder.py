"""Use cases with in-memory ports: the rules of opening, paging, accepting and referring."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from crisis_pager.domain.errors import CallbackError, SmsError
from crisis_pager.domain.incident import AcceptOutcome, Severity, Status
from crisis_pager.domain.ladder import DEFAULT_POLICIES, parse_policy
from crisis_pager.service import intake
from crisis_pager.service.referral import notify_hotline, refer
from tests.fakes.clock import T0
from tests.fakes.world import ANA, REF, SUMMARY, World


@pytest.fixture
def world() -> World:
    return World()


def test_open_freezes_the_ladder_into_an_input_without_participant_data(world: World) -> None:
    opened = world.open()
    payload = world.ladder.started[opened.incident.incident_id]
    rungs = payload["ladder"]["rungs"]
    assert [r["target"] for r in rungs[:4]] == ["primary", "backup", "supervisor", "referral"]
    assert [r["window_s"] for r in rungs[:3]] == [300, 300, 300]
    text = repr(payload)
    assert SUMMARY not in text and REF not in text and "Jane" not in text
    assert opened.created and opened.incident.status is Status.TRIGGERED


def test_policy_edits_after_opening_do_not_change_a_running_ladder(world: World) -> None:
    opened = world.open()
    world.directory.programs["west-iop"]["ladder_high"] = "primary 1m, referral"
    step = world.advance(opened.incident.incident_id, 0)
    assert step.rung is not None and step.rung.target == "backup"


def test_same_event_twice_gives_one_incident_and_one_ladder(world: World) -> None:
    first = world.open()
    second = world.open()
    assert second.incident.incident_id == first.incident.incident_id
    assert not second.created
    assert len(world.incidents.items) == 1 and len(world.ladder.started) == 1


def test_same_event_with_different_content_is_a_conflict(world: World) -> None:
    world.open()
    with pytest.raises(intake.EventConflict):
        world.open(summary="something else")


def test_retry_after_a_failed_start_starts_the_ladder(world: World) -> None:
    world.ladder.fail_start = True
    with pytest.raises(RuntimeError):
        world.open()
    world.ladder.fail_start = False
    again = world.open()
    assert again.incident.incident_id in world.ladder.started


def _escalation(**fields: Any) -> intake.OpenEscalation:
    return intake.OpenEscalation(**{
        "hotline_id": "hl", "event_id": "evt-1", "program_id": "west-iop",
        "severity": None, "participant_ref": REF, "summary": SUMMARY, **fields})


def _open(world: World, cmd: intake.OpenEscalation, **options: Any) -> intake.Opened:
    return intake.open_incident(cmd, incidents=world.incidents, timeline=world.timeline,
                                directory=world.directory, ladder=world.ladder,
                                clock=world.clock, **options)


LOW_RISK = {"1": False, "2": False, "6": False}
HIGH_RISK = {"1": True, "2": True, "3": True, "4": True, "5": False, "6": False}


@pytest.mark.parametrize(("fields", "field", "named"), [
    ({}, "severity", "send a severity"),
    ({"screener": {**LOW_RISK, "4": True}}, "screener", "screener.4"),
    ({"screener": {"1": True, "2": True, "6": False}}, "screener", "screener.3"),
    ({"severity": Severity.HIGH, "callback_url": "http://hotline.example/cb"},
     "callback_url", "https"),
    ({"severity": Severity.HIGH, "callback_url": "https://10.0.0.7/cb"},
     "callback_url", "callback_url"),
])
def test_an_unusable_report_names_its_field_and_nothing_is_stored(
        world: World, fields: dict[str, Any], field: str, named: str) -> None:
    with pytest.raises(intake.InvalidEscalation) as refused:
        _open(world, _escalation(**fields))
    assert refused.value.field == field and named in refused.value.problem
    assert world.incidents.items == {} and world.ladder.started == {}
    assert world.incidents.codes == {} and world.timeline.rows == []


def test_the_screen_triages_once_and_the_hotlines_imminent_wins(world: World) -> None:
    low = _open(world, _escalation(event_id="evt-low", screener=LOW_RISK)).incident
    high = _open(world, _escalation(event_id="evt-high", screener=HIGH_RISK)).incident
    imminent = _open(world, _escalation(event_id="evt-imm", screener=LOW_RISK,
                                        severity=Severity.IMMINENT)).incident
    assert (low.severity, high.severity, imminent.severity) == (
        Severity.LOW, Severity.HIGH, Severity.IMMINENT)
    assert [r["target"] for r in low.rungs] == [
        r.target for r in world.directory.program("west-iop").ladder_for(Severity.LOW)]


def test_a_retry_of_a_screened_report_is_the_same_event(world: World) -> None:
    first = _open(world, _escalation(screener=HIGH_RISK))
    again = _open(world, _escalation(screener=HIGH_RISK))
    assert again.incident.incident_id == first.incident.incident_id and not again.created
    with pytest.raises(intake.EventConflict):  # the same event, another screen
        _open(world, _escalation(screener=LOW_RISK))


def test_a_retry_that_draws_the_winners_code_leaves_its_claim_alone(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A code claim names its incident, so a retry of the same event may draw the code the
    first post holds; releasing it then would free a live incident's code."""
    first = _open(world, _escalation(severity=Severity.HIGH)).incident
    released: list[str] = []
    monkeypatch.setattr(world.incidents, "claim_code", lambda p, i, now: first.code)
    monkeypatch.setattr(world.incidents, "release_code", lambda p, c, i: released.append(c))
    again = _open(world, _escalation(severity=Severity.HIGH))
    assert again.incident.incident_id == first.incident_id and not again.created
    assert released == []


def test_http_loopback_callbacks_only_where_the_settings_allow_them(world: World) -> None:
    local = _escalation(severity=Severity.HIGH, callback_url="http://127.0.0.1:9/cb")
    with pytest.raises(intake.InvalidEscalation):
        _open(world, local)
    assert _open(world, local, allow_http_loopback=True).created


def test_unknown_program_stores_nothing(world: World) -> None:
    with pytest.raises(intake.UnknownProgram):
        world.open(program_id="nowhere")
    assert world.incidents.items == {} and world.ladder.started == {}
    assert world.incidents.codes == {}


def test_a_malformed_hotline_number_still_pages_without_it(world: World) -> None:
    """The number a clinician calls for the handoff has no stand-in, but a page without it
    reaches a clinician who knows their program's hotline; refusing the crisis reaches
    nobody."""
    world.directory.programs["west-iop"]["hotline_number"] = "503-555-0100"
    opened = world.open()
    iid, code = opened.incident.incident_id, opened.incident.code
    assert "'hotline_number'" in opened.program_problems[0]
    world.page(iid, world.advance(iid, -1))
    ((to, body),) = world.sms.sent
    assert to == ANA and body.endswith(f"Reply A {code} to accept or P {code} to pass.")
    assert "503" not in body and "Hotline" not in body
    answer = world.reply(ANA, f"A {code}").answer or ""
    assert answer.startswith(f"Accepted {code} (West IOP). It is yours: call the hotline now "
                             "for the warm handoff.")


def test_a_malformed_optional_program_field_still_pages_with_its_default(
        world: World) -> None:
    """A typo in a custom ladder or a holiday list must not refuse a crisis: the field's
    default stands in, the audit names the field, and the incident pages at once."""
    world.directory.programs["west-iop"].update(
        ladder_high="primary 5x, referral", closed_dates=["12/25/2026"])
    opened = world.open()
    iid = opened.incident.incident_id
    assert [r["target"] for r in opened.incident.rungs] == [
        r.target for r in parse_policy(DEFAULT_POLICIES[Severity.HIGH])], "the default ladder"
    assert len(opened.program_problems) == 2
    assert "'ladder_high'" in opened.program_problems[0]
    (used,) = [e for e in world.timeline.entries(iid) if e["kind"] == "program_defaults_used"]
    assert used["fields"] == ["closed_dates", "ladder_high"]
    assert "5x" not in json.dumps(used, default=str), "fields only: the values go to the admins"
    step = world.advance(iid, -1)
    assert (step.action, step.clinician_id) == ("page", "clin-ana")
    world.page(iid, step)
    assert [to for to, _ in world.sms.sent] == [ANA]


def test_advance_pages_the_on_call_clinician_of_each_rung(world: World) -> None:
    iid = world.open().incident.incident_id
    first = world.advance(iid, -1)
    assert (first.action, first.position, first.clinician_id) == ("page", 0, "clin-ana")
    second = world.advance(iid, 0)
    assert (second.action, second.clinician_id) == ("page", "clin-ben")
    third = world.advance(iid, 1)
    assert (third.action, third.clinician_id) == ("page", "clin-caro")
    assert world.advance(iid, 2).action == "referral"


@pytest.mark.parametrize("breakage", ["missing", "bad_timezone", "unknown_clinician"])
def test_a_rung_nobody_covers_is_skipped_at_once_with_an_alert(world: World,
                                                                breakage: str) -> None:
    if breakage == "missing":
        del world.directory.rotas[("west-iop", "backup")]
    elif breakage == "bad_timezone":
        world.directory.set_rota("backup", ["clin-ben"], timezone="Pacific/Atlantis")
    else:
        world.directory.set_rota("backup", ["clin-nobody"])
    iid = world.open().incident.incident_id
    step = world.advance(iid, 0)
    assert (step.action, step.rung.target if step.rung else None) == ("page", "supervisor")
    assert step.skipped == ("backup",)
    skipped = [r for r in world.timeline.entries(iid) if r["kind"] == "rung_skipped"]
    assert len(skipped) == 1 and skipped[0]["target"] == "backup"
    assert len(world.alerts.published) == 1 and "backup" in world.alerts.published[0][2]


def test_one_step_reads_the_schedule_and_the_program_once_past_any_gaps(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    del world.directory.rotas[("west-iop", "backup")]
    world.directory.set_rota("supervisor", ["clin-nobody"])
    iid = world.open().incident.incident_id
    reads: list[str] = []
    for name in ("schedule", "program"):
        real = getattr(world.directory, name)
        monkeypatch.setattr(world.directory, name,
                            lambda pid, real=real, name=name: reads.append(name) or real(pid))
    step = world.advance(iid, 0)  # backup and supervisor are gaps
    assert step.skipped == ("backup", "supervisor")
    assert sorted(reads) == ["program", "schedule"]


def test_page_texts_carry_no_participant_details(world: World) -> None:
    opened = world.open()
    iid = opened.incident.incident_id
    world.page(iid, world.advance(iid, -1))
    (to, body), = world.sms.sent
    assert to == "+15035550101"
    assert f"A {opened.incident.code}" in body and "West IOP" in body and "HIGH" in body
    assert SUMMARY not in body and REF not in body and "Jane" not in body
    world.assert_no_phi()


def test_the_page_sms_asks_for_status_reports_and_lives_as_long_as_the_window(
        world: World) -> None:
    iid = world.open().incident.incident_id
    result = world.page(iid, world.advance(iid, -1), token="t0", window_s=240)
    (sms,) = world.sms.messages
    assert (sms.page, sms.validity_s) == ((iid, 0), 240)
    page = world.incidents.page_for(iid, 0)
    assert page is not None and page.message_sid == "SM" + "1".zfill(32)
    assert (page.task_token, page.code, page.phone) == ("t0", result.code, ANA)


def test_the_sms_goes_out_under_the_paging_lease(world: World) -> None:
    """While the SMS is being sent an acceptance waits: it cannot land before the page."""
    opened = world.open()
    iid, code = opened.incident.incident_id, opened.incident.code
    world.page(iid, world.advance(iid, -1), token="t0")
    seen: list[object] = []

    def racing_acceptance() -> None:
        seen.append(iid in world.incidents.leases)
        seen.append(world.incidents.accept(iid, "clin-ana", world.clock.now()).outcome)

    world.sms.during_send = racing_acceptance
    world.page(iid, world.advance(iid, 0), token="t1")
    assert seen == [True, AcceptOutcome.PAGE_IN_FLIGHT]
    assert iid not in world.incidents.leases
    assert world.reply(ANA, f"A {code}").outcome == "accepted"


def test_advance_stops_for_a_resolved_incident(world: World) -> None:
    opened = world.open()
    iid, code = opened.incident.incident_id, opened.incident.code
    world.page(iid, world.advance(iid, -1), token="t0")
    assert world.reply(ANA, f"R {code}").outcome == "resolved"
    assert world.advance(iid, 0).action == "resolved"


def test_an_acceptance_resolved_before_the_next_step_still_tells_the_hotline(
        world: World) -> None:
    """A then R at once (seen in the soak): the ladder's next step finds the incident
    resolved, but it was accepted first, so the hotline gets its `accepted` callback."""
    opened = world.open()
    iid, code = opened.incident.incident_id, opened.incident.code
    world.page(iid, world.advance(iid, -1), token="t0")
    assert world.reply(ANA, f"A {code}").outcome == "accepted"
    assert world.reply(ANA, f"R {code}").outcome == "resolved"
    assert world.advance(iid, 0).action == "accepted"
    outcome = notify_hotline(iid, "accepted", incidents=world.incidents,
                             timeline=world.timeline, directory=world.directory,
                             hotline=world.hotline, clock=world.clock)
    assert outcome == "sent"
    (_, payload), = world.hotline.posted
    assert payload["event"] == "accepted" and payload["accepted"]["clinician_id"] == "clin-ana"


def test_accept_stops_the_ladder_and_wakes_the_waiting_rung(world: World) -> None:
    opened = world.open()
    iid, code = opened.incident.incident_id, opened.incident.code
    world.page(iid, world.advance(iid, -1), token="t0")
    world.clock.advance(90)
    outcome = world.reply("+15035550101", f"a {code}")
    assert outcome.outcome == "accepted" and outcome.seconds_to_accept == 90
    assert ("t0", {"result": "accepted"}) in world.ladder.woken
    assert world.incidents.get(iid).status is Status.ACCEPTED  # type: ignore[union-attr]
    assert world.advance(iid, 0).action == "accepted"


def test_acceptance_before_the_page_call_means_no_page(world: World) -> None:
    """The race: the ladder decided to page the backup, then the primary accepted."""
    opened = world.open()
    iid, code = opened.incident.incident_id, opened.incident.code
    world.page(iid, world.advance(iid, -1), token="t0")
    backup_step = world.advance(iid, 0)
    assert world.reply("+15035550101", f"A {code}").outcome == "accepted"
    result = world.page(iid, backup_step, token="t1")
    assert result.outcome == "closed"
    assert [to for to, _ in world.sms.sent] == ["+15035550101"]
    assert ("t1", {"result": "closed"}) in world.ladder.woken


def test_a_retried_page_invocation_does_not_send_twice(world: World) -> None:
    iid = world.open().incident.incident_id
    step = world.advance(iid, -1)
    assert world.page(iid, step, token="t0").outcome == "sent"
    assert world.page(iid, step, token="t0-retry").outcome == "already_sent"
    assert len(world.sms.sent) == 1
    assert world.incidents.get(iid).task_token == "t0-retry"  # type: ignore[union-attr]


def test_a_refused_sms_places_a_call_to_the_same_clinician(world: World) -> None:
    iid = world.open().incident.incident_id
    world.sms.fail_with = SmsError("invalid number", 21211)
    result = world.page(iid, world.advance(iid, -1), token="t0")
    assert (result.outcome, result.error_code) == ("called", 21211)
    assert [(c.to, c.page) for c in world.voice.calls] == [(ANA, (iid, 0))]
    assert world.ladder.woken == [], "the rung waits for the call, it does not move on"
    page = world.incidents.page_for(iid, 0)
    assert page is not None and page.sms_failed_at is not None and page.error_code == 21211
    assert page.call_sid == "CA" + "1".zfill(32)
    assert world.timeline.kinds(iid)[-2:] == ["page_failed", "called"]


def test_a_refused_sms_wakes_the_rung_at_once_when_the_call_fails_too(world: World) -> None:
    iid = world.open().incident.incident_id
    world.sms.fail_with = SmsError("invalid number", 21211)
    world.voice.fail_with = SmsError("invalid number", 21211)
    result = world.page(iid, world.advance(iid, -1), token="t0")
    assert (result.outcome, result.error_code) == ("failed", 21211)
    assert world.ladder.woken == [("t0", {"result": "failed"})]
    assert world.voice.calls == [] and world.sms.sent == []
    assert "page_failed" in world.timeline.kinds(iid)
    assert "call_failed" in world.timeline.kinds(iid)


@pytest.mark.parametrize(
    ("sender", "body", "expected"),
    [
        ("+15035550102", "A {code}", "unknown_code"),  # not paged for this code
        ("+15035550101", "A 999", "unknown_code"),
        ("+15035550101", "ok", "unrecognised"),
        ("+15035550101", "STOP 417", "unrecognised"),  # neither an opt-out nor an A
    ],
)
def test_replies_that_change_nothing(world: World, sender: str, body: str,
                                     expected: str) -> None:
    opened = world.open()
    iid, code = opened.incident.incident_id, opened.incident.code
    world.page(iid, world.advance(iid, -1))
    outcome = world.reply(sender, body.format(code=code))
    assert outcome.outcome == expected and outcome.answer
    assert world.incidents.get(iid).status is Status.TRIGGERED  # type: ignore[union-attr]
    assert "accepted" not in world.timeline.kinds(iid)


def test_second_acceptor_is_told_who_has_it(world: World) -> None:
    opened = world.open()
    iid, code = opened.incident.incident_id, opened.incident.code
    world.page(iid, world.advance(iid, -1), token="t0")
    world.page(iid, world.advance(iid, 0), token="t1")
    assert world.reply("+15035550102", f"A {code}").outcome == "accepted"
    late = world.reply("+15035550101", f"A {code}")
    assert late.outcome == "taken" and "Ben" in late.answer
    again = world.reply("+15035550102", f"A {code}")
    assert again.outcome == "already_yours"
    assert world.incidents.get(iid).accepted_by == "clin-ben"  # type: ignore[union-attr]


def test_referral_records_resources_and_only_once(world: World) -> None:
    iid = world.open().incident.incident_id
    assert refer(iid, 3, incidents=world.incidents, timeline=world.timeline,
                 directory=world.directory, alerts=world.alerts, clock=world.clock).referred
    incident = world.incidents.get(iid)
    assert incident is not None and incident.status is Status.REFERRED
    assert incident.referral and incident.referral["crisis_line"] == "+15035550111"
    assert not refer(iid, 3, incidents=world.incidents, timeline=world.timeline,
                     directory=world.directory, alerts=world.alerts, clock=world.clock).referred
    assert world.timeline.kinds(iid).count("referred") == 1


def test_referral_still_happens_when_the_program_item_is_broken(world: World) -> None:
    iid = world.open().incident.incident_id
    world.directory.programs["west-iop"]["crisis_line"] = "call 988"
    result = refer(iid, 3, incidents=world.incidents, timeline=world.timeline,
                   directory=world.directory, alerts=world.alerts, clock=world.clock)
    assert result.referred
    assert "crisis_line" in world.incidents.get(iid).referral["source"]  # type: ignore[index,union-attr]


def test_supervisor_can_still_accept_after_the_referral(world: World) -> None:
    opened = world.open()
    iid, code = opened.incident.incident_id, opened.incident.code
    refer(iid, 3, incidents=world.incidents, timeline=world.timeline,
          directory=world.directory, alerts=world.alerts, clock=world.clock)
    step = world.advance(iid, 3)
    assert (step.action, step.clinician_id) == ("page", "clin-caro")
    world.page(iid, step)
    assert "REFERRED" in world.sms.sent[-1][1]
    assert world.reply("+15035550103", f"A {code}").outcome == "accepted"


def test_hotline_callback_is_signed_content_without_participant_data(world: World) -> None:
    opened = world.open()
    iid, code = opened.incident.incident_id, opened.incident.code
    world.page(iid, world.advance(iid, -1))
    world.reply("+15035550101", f"A {code}")
    outcome = notify_hotline(iid, "accepted", incidents=world.incidents,
                             timeline=world.timeline, directory=world.directory,
                             hotline=world.hotline, clock=world.clock)
    assert outcome == "sent"
    (_, payload), = world.hotline.posted
    assert payload["event"] == "accepted" and payload["accepted"]["clinician_id"] == "clin-ana"
    assert SUMMARY not in repr(payload) and REF not in repr(payload)


def test_hotline_callback_failure_raises_for_the_state_machine_to_retry(world: World) -> None:
    iid = world.open().incident.incident_id
    refer(iid, 3, incidents=world.incidents, timeline=world.timeline,
          directory=world.directory, alerts=world.alerts, clock=world.clock)
    world.hotline.fail = True
    with pytest.raises(CallbackError):
        notify_hotline(iid, "referred", incidents=world.incidents, timeline=world.timeline,
                       directory=world.directory, hotline=world.hotline, clock=world.clock)
    assert "callback_failed" in world.timeline.kinds(iid)


def test_an_acceptance_waits_for_a_page_being_sent_then_accepts(world: World) -> None:
    """A page already going out is ordered before the acceptance, never after it."""
    opened = world.open()
    iid, code = opened.incident.incident_id, opened.incident.code
    world.page(iid, world.advance(iid, -1), token="t0")
    # The ladder claims the backup's rung and is sending its SMS right now.
    world.incidents.claim_rung(iid, 1, "backup", "clin-ben", "t1",
                               world.clock.now() + timedelta(seconds=10))
    sent_at_release: list[datetime] = []

    def finish_send_after(seconds: float) -> None:
        original = world.clock.wait

        def wait(s: float) -> None:
            original(s)
            if world.clock.now() - T0 >= timedelta(seconds=seconds) and not sent_at_release:
                sent_at_release.append(world.clock.now())
                world.incidents.release_rung(iid, 1, world.clock.now())

        world.clock.wait = wait  # type: ignore[method-assign,assignment]

    finish_send_after(0.3)
    outcome = world.reply("+15035550101", f"A {code}")
    assert outcome.outcome == "accepted"
    accepted_at = world.incidents.get(iid).accepted_at  # type: ignore[union-attr]
    assert sent_at_release and accepted_at is not None and accepted_at >= sent_at_release[0]


def test_an_acceptance_read_before_a_page_went_out_is_recorded_after_it(world: World) -> None:
    """The acceptance reads its clock, then a whole page of the next rung goes out (lease
    taken, SMS sent, lease dropped) before its conditional write lands: the acceptance is
    recorded after that page, never stamped before it (the soak's seed 4242, incident 15:
    an SMS 0.00 ladder s after the acceptance)."""
    opened = world.open()
    iid, code = opened.incident.incident_id, opened.incident.code
    world.page(iid, world.advance(iid, -1), token="t0")
    step = world.advance(iid, 0)
    sent_at: list[datetime] = []
    world.sms.during_send = lambda: sent_at.append(world.clock.now())
    accept = world.incidents.accept

    def accept_after_a_page(incident_id: str, clinician_id: str, now: datetime) -> Any:
        if not sent_at:  # between this reply's clock read and its write
            world.clock.advance(0.001)
            world.page(iid, step, token="t1")
            world.clock.advance(0.001)
        return accept(incident_id, clinician_id, now)

    world.incidents.accept = accept_after_a_page  # type: ignore[method-assign]
    assert world.reply(ANA, f"A {code}").outcome == "accepted"
    accepted_at = world.incidents.get(iid).accepted_at  # type: ignore[union-attr]
    assert len(sent_at) == 1 and accepted_at is not None and accepted_at > sent_at[0]


def test_a_lapsed_lease_never_blocks_an_acceptance(world: World) -> None:
    """If the sender died mid-send, its lease lapses and the acceptance goes through."""
    opened = world.open()
    iid, code = opened.incident.incident_id, opened.incident.code
    world.page(iid, world.advance(iid, -1), token="t0")
    world.incidents.claim_rung(iid, 1, "backup", "clin-ben", "t1",
                               world.clock.now() + timedelta(seconds=10))
    outcome = world.reply("+15035550101", f"A {code}")
    assert outcome.outcome == "accepted"
    assert world.clock.now() - T0 >= timedelta(seconds=10)


def test_a_page_releases_its_lease_whether_the_sms_went_out_or_not(world: World) -> None:
    iid = world.open().incident.incident_id
    world.page(iid, world.advance(iid, -1))
    assert iid not in world.incidents.leases
    world.sms.fail_with = SmsError("down", 30003)
    world.page(iid, world.advance(iid, 0))
    assert iid not in world.incidents.leases


# ------------------------------------------------- an acceptance after the ladder ended


def _ran_to_the_end(world: World) -> tuple[str, str, object]:
    """An incident whose short ladder (primary, referral, supervisor) ran out: the
    supervisor's page stands, and the execution is at its last step."""
    world.directory.programs["west-iop"]["ladder_high"] = "primary 5m, referral, supervisor 5m"
    opened = world.open()
    iid, code = opened.incident.incident_id, opened.incident.code
    world.page(iid, world.advance(iid, -1), token="t0")
    assert world.advance(iid, 0).action == "referral"
    refer(iid, 1, incidents=world.incidents, timeline=world.timeline,
          directory=world.directory, alerts=world.alerts, clock=world.clock)
    last = world.advance(iid, 1)
    assert (last.action, last.clinician_id) == ("page", "clin-caro")
    world.page(iid, last, token="t2")
    world.ladder.live_tokens.discard("t2")  # its window passed: nothing to wake
    return iid, code, last


def _hotline_hears(world: World, iid: str, steps: list[str]) -> list[str]:
    """The callbacks sent: NotifyAccepted runs for each execution whose step is
    `accepted`."""
    for action in steps:
        if action == "accepted":
            notify_hotline(iid, "accepted", incidents=world.incidents,
                           timeline=world.timeline, directory=world.directory,
                           hotline=world.hotline, clock=world.clock)
    return [payload["event"] for _, payload in world.hotline.posted]


def _acceptance_execution_step(world: World, iid: str) -> str | None:
    """What the acceptance's own execution (if one was started) does first."""
    from crisis_pager.service.ladder import accepted_execution, advance

    payload = world.ladder.started.get(accepted_execution(iid))
    if payload is None:
        return None
    assert SUMMARY not in repr(payload) and REF not in repr(payload)
    return advance(iid, payload["step"]["position"], payload["ladder"]["rungs"],
                   incidents=world.incidents, timeline=world.timeline,
                   directory=world.directory, alerts=world.alerts, clock=world.clock,
                   step=payload["step"]).action


@pytest.mark.parametrize("via", ["sms", "voice"])
def test_an_acceptance_after_the_ladder_ended_tells_the_hotline_once(world: World,
                                                                     via: str) -> None:
    iid, code, last = _ran_to_the_end(world)
    end = world.advance(iid, 2, last)
    assert end.action == "exhausted"
    assert world.incidents.get(iid).ladder_ended_at is not None  # type: ignore[union-attr]
    if via == "sms":
        assert world.reply("+15035550103", f"A {code}").outcome == "accepted"
    else:
        world.key(iid, 2, "1")
    assert world.incidents.get(iid).status is Status.ACCEPTED  # type: ignore[union-attr]
    first = _acceptance_execution_step(world, iid)
    assert first == "accepted"
    # The ended ladder's last step, retried after the acceptance, leaves it to that one.
    retried = world.advance(iid, 2, last).action
    assert retried == "exhausted"
    assert _hotline_hears(world, iid, [end.action, first, retried]) == ["accepted"]
    # A repeated A starts nothing more (the execution is named after the incident).
    assert world.reply("+15035550103", f"A {code}").outcome == "already_yours"
    assert len([n for n in world.ladder.started if n.startswith(iid)]) == 2


def test_an_acceptance_racing_the_end_of_the_ladder_tells_the_hotline_once(
        world: World) -> None:
    """The supervisor's A lands while the last step is deciding the ladder has run out:
    the conditional end fails, and the running execution sends the callback."""
    iid, code, last = _ran_to_the_end(world)
    real_end = world.incidents.end_ladder

    def accepted_meanwhile(incident_id: str, now: datetime) -> bool:
        assert world.reply("+15035550103", f"A {code}").outcome == "accepted"
        return real_end(incident_id, now)

    world.incidents.end_ladder = accepted_meanwhile  # type: ignore[method-assign]
    end = world.advance(iid, 2, last)
    assert end.action == "accepted"
    assert world.incidents.get(iid).ladder_ended_at is None  # type: ignore[union-attr]
    assert _acceptance_execution_step(world, iid) is None, "no second execution"
    assert _hotline_hears(world, iid, [end.action]) == ["accepted"]
    assert "ladder_exhausted" not in world.timeline.kinds(iid)
