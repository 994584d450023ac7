"""The follow-up after a high or imminent crisis: due 24 h after it is resolved, owned by
the clinician who resolved it, up to 3 recorded contact attempts, closed by ``F 417
done``; if it is still open when due, its own execution pages the supervisor like a low
task (within business hours, until the end of the next business day)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crisis_pager.domain.incident import (
    CODE_HOLD_AFTER_ACCEPT,
    FOLLOW_UP_BASE,
    FOLLOW_UP_DUE,
    Severity,
)
from crisis_pager.service.followup import follow_up_execution
from tests.fakes.clock import T0
from tests.fakes.world import ANA, BEN, CARO, World

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def world() -> World:
    return World()


def resolved(world: World, severity: Severity = Severity.HIGH,
             event_id: str = "evt-1") -> tuple[str, str]:
    """Ana accepts and, 40 minutes later, resolves: (incident id, code)."""
    iid, code = world.started(event_id, severity=severity)
    assert world.reply(ANA, f"A {code}").outcome == "accepted"
    world.clock.advance(40 * 60)
    assert world.reply(ANA, f"R {code}").outcome == "resolved"
    return iid, code


def follow_up(world: World, iid: str, position: int, step: object = None) -> object:
    return world.advance(iid, position, step, execution=follow_up_execution(iid))


# ---------------------------------------------------------------- who gets a follow-up


@pytest.mark.parametrize("severity", [Severity.HIGH, Severity.IMMINENT])
def test_resolving_a_high_or_imminent_crisis_starts_a_follow_up(
        world: World, severity: Severity) -> None:
    iid, code = resolved(world, severity)
    incident = world.incidents.get(iid)
    assert incident is not None and incident.follow_up_open
    assert incident.follow_up_owner == "clin-ana"
    assert incident.follow_up_due_at == T0 + timedelta(minutes=40) + FOLLOW_UP_DUE
    started = world.ladder.started[follow_up_execution(iid)]
    assert started["step"]["position"] == FOLLOW_UP_BASE - 1
    assert [r["target"] for r in started["ladder"]["rungs"]] == ["supervisor"] * 3
    answer = world.answers[-1]
    assert f"F {code} tried" in answer and f"F {code} done" in answer and "24 h" in answer
    assert "follow_up_due" in world.timeline.kinds(iid)
    world.assert_no_phi()


@pytest.mark.parametrize("severity", [Severity.MODERATE, Severity.LOW])
def test_moderate_and_low_incidents_need_no_follow_up(world: World, severity: Severity) -> None:
    iid, code = resolved(world, severity)
    incident = world.incidents.get(iid)
    assert incident is not None and incident.follow_up_due_at is None
    assert follow_up_execution(iid) not in world.ladder.started
    assert "F " not in world.answers[-1]


def test_a_repeated_r_restarts_a_follow_up_timer_that_failed_to_start(world: World) -> None:
    iid, code = world.started()
    world.reply(ANA, f"A {code}")
    world.ladder.fail_start = True
    with pytest.raises(RuntimeError):
        world.reply(ANA, f"R {code}")  # resolved, but the timer did not start
    world.ladder.fail_start = False
    outcome = world.reply(ANA, f"R {code}")
    assert outcome.outcome == "resolved"
    assert follow_up_execution(iid) in world.ladder.started
    assert f"F {code} done" in (outcome.answer or "")


# ---------------------------------------------------------------- F 417 tried / done


def test_up_to_three_contact_attempts_are_recorded(world: World) -> None:
    iid, code = resolved(world)
    for n in (1, 2, 3):
        world.clock.advance(600)
        outcome = world.reply(ANA, f"F {code} tried")
        assert outcome.outcome == "attempt_recorded"
        assert f"{n} of 3" in (outcome.answer or "")
    assert world.reply(ANA, f"F {code} attempt").outcome == "attempts_full"
    incident = world.incidents.get(iid)
    assert incident is not None and len(incident.follow_up_attempts) == 3
    assert incident.follow_up_open  # attempts alone never close it
    assert [e["attempt"] for e in world.timeline.entries(iid)
            if e["kind"] == "follow_up_attempt"] == [1, 2, 3]


def test_f_done_closes_the_follow_up_once(world: World) -> None:
    iid, code = resolved(world)
    world.reply(ANA, f"F {code} tried")
    outcome = world.reply(ANA, f"F {code} done")
    assert outcome.outcome == "done"
    incident = world.incidents.get(iid)
    assert incident is not None and not incident.follow_up_open
    assert incident.follow_up_done_by == "clin-ana"
    assert world.reply(ANA, f"F {code} done").outcome == "already_done"
    assert world.reply(ANA, f"F {code} tried").outcome == "already_done"
    done = [e for e in world.timeline.entries(iid) if e["kind"] == "follow_up_done"]
    assert len(done) == 1 and done[0]["attempts"] == 1


def test_only_the_owner_records_the_follow_up(world: World) -> None:
    iid, code = world.started()
    ben_code = world.page(iid, world.advance(iid, 0), token="t1").code  # Ben was paged too
    world.reply(ANA, f"A {code}")
    world.reply(ANA, f"R {code}")
    assert world.reply(BEN, f"F {ben_code} done").outcome == "not_yours"
    assert world.reply(BEN, f"F {ben_code} tried").outcome == "not_yours"
    incident = world.incidents.get(iid)
    assert incident is not None and incident.follow_up_open and not incident.follow_up_attempts


def test_the_code_stays_held_while_the_follow_up_is_open(world: World) -> None:
    """Past the 12 h an accepted code is held for, 'F 417 done' still names it."""
    iid, code = resolved(world)
    world.clock.advance((CODE_HOLD_AFTER_ACCEPT + timedelta(hours=8)).total_seconds())
    assert world.reply(ANA, f"F {code} done").outcome == "done"


def test_bare_f_works_with_exactly_one_open_follow_up(world: World) -> None:
    assert world.reply(ANA, "F done").outcome == "no_follow_up"
    first, _ = resolved(world, event_id="evt-1")
    assert world.reply(ANA, "F tried").outcome == "attempt_recorded"
    resolved(world, event_id="evt-2")
    outcome = world.reply(ANA, "F done")
    assert outcome.outcome == "choose_follow_up"
    incident = world.incidents.get(first)
    assert incident is not None and incident.follow_up_open


def test_status_lists_the_open_follow_up(world: World) -> None:
    _, code = resolved(world)
    status = world.reply(ANA, "STATUS").answer or ""
    assert code in status and "follow-up due" in status


def test_an_unknown_code_records_nothing(world: World) -> None:
    resolved(world)
    assert world.reply(ANA, "F 999 done").outcome == "no_follow_up"


# ---------------------------------------------------------------- the follow-up's execution


def test_the_execution_sleeps_until_the_follow_up_is_due(world: World) -> None:
    iid, _ = resolved(world)
    step = follow_up(world, iid, FOLLOW_UP_BASE - 1)
    assert (step.action, step.position) == ("wait", FOLLOW_UP_BASE - 1)
    assert step.wait_s == FOLLOW_UP_DUE.total_seconds()


def test_a_follow_up_done_in_time_ends_the_execution(world: World) -> None:
    iid, code = resolved(world)
    world.reply(ANA, f"F {code} done")
    world.clock.advance(FOLLOW_UP_DUE.total_seconds())
    assert follow_up(world, iid, FOLLOW_UP_BASE - 1).action == "follow_up_closed"
    assert "follow_up_overdue" not in world.timeline.kinds(iid)


def overdue(world: World) -> tuple[str, str, object]:
    """Resolved Monday 10:40 in Los Angeles; nobody closed it by Tuesday 10:40: the
    supervisor (Caro) is paged with a task until the end of Wednesday."""
    iid, code = resolved(world)
    world.clock.advance(FOLLOW_UP_DUE.total_seconds())
    step = follow_up(world, iid, FOLLOW_UP_BASE - 1)
    return iid, code, step


def test_an_overdue_follow_up_pages_the_supervisor_until_the_next_business_day(
        world: World) -> None:
    iid, code, step = overdue(world)
    assert (step.action, step.position, step.clinician_id) == (
        "page", FOLLOW_UP_BASE, "clin-caro")
    end_of_wednesday = datetime(2026, 11, 25, 17, 0, tzinfo=LA)
    assert step.rung.window_s == (end_of_wednesday - world.clock.now()).total_seconds()
    result = world.page(iid, step, token="fu0")
    assert result.outcome == "sent"
    to, body = world.sms.messages[-1][:2]
    assert to == CARO and "follow-up" in body and "overdue" in body and "0 of 3" in body
    overdue_entries = [e for e in world.timeline.entries(iid) if e["kind"] == "follow_up_overdue"]
    assert len(overdue_entries) == 1 and overdue_entries[0]["owner"] == "clin-ana"
    world.assert_no_phi()


def test_the_supervisor_takes_the_follow_up_over_with_a(world: World) -> None:
    iid, code, step = overdue(world)
    caro_code = world.page(iid, step, token="fu0").code
    outcome = world.reply(CARO, f"A {caro_code}")
    assert outcome.outcome == "follow_up_taken"
    assert ("fu0", {"result": "follow_up_taken"}) in world.ladder.woken
    incident = world.incidents.get(iid)
    assert incident is not None and incident.follow_up_owner == "clin-caro"
    assert follow_up(world, iid, FOLLOW_UP_BASE, step).action == "follow_up_closed"
    assert world.reply(CARO, f"F {caro_code} done").outcome == "done"


def test_the_supervisor_closes_it_with_f_done_and_the_rung_is_woken(world: World) -> None:
    iid, code, step = overdue(world)
    caro_code = world.page(iid, step, token="fu0").code
    assert world.reply(CARO, f"F {caro_code} done").outcome == "done"
    assert ("fu0", {"result": "follow_up_done"}) in world.ladder.woken
    assert follow_up(world, iid, FOLLOW_UP_BASE, step).action == "follow_up_closed"


def test_the_owner_can_still_close_it_while_the_supervisor_is_paged(world: World) -> None:
    iid, code, step = overdue(world)
    world.page(iid, step, token="fu0")
    assert world.reply(ANA, f"F {code} done").outcome == "done"
    assert ("fu0", {"result": "follow_up_done"}) in world.ladder.woken


def test_an_overdue_follow_up_outside_business_hours_waits_for_the_program_to_open(
        world: World) -> None:
    """Resolved Friday 18:00 in Los Angeles: due Saturday 18:00; the supervisor is paged
    Monday 09:00, with until the end of Monday (the next business day after Saturday)."""
    world.clock.advance((datetime(2026, 11, 27, 17, 20, tzinfo=LA) - T0).total_seconds())
    iid, _ = resolved(world)  # 17:20 + 40 min
    world.clock.advance(FOLLOW_UP_DUE.total_seconds())
    step = follow_up(world, iid, FOLLOW_UP_BASE - 1)
    monday_nine = datetime(2026, 11, 30, 9, 0, tzinfo=LA)
    assert (step.action, step.position) == ("wait", FOLLOW_UP_BASE - 1)
    assert step.wait_s == (monday_nine - world.clock.now()).total_seconds()
    world.clock.advance(step.wait_s)
    step = follow_up(world, iid, FOLLOW_UP_BASE - 1, step)
    assert (step.action, step.clinician_id) == ("page", "clin-caro")
    assert step.rung.window_s == 8 * 3600  # Monday 09:00 to 17:00
    assert [e["kind"] for e in world.timeline.entries(iid)].count("follow_up_overdue") == 1


def test_a_passed_follow_up_page_moves_to_the_next_escalation_rung(world: World) -> None:
    iid, code, step = overdue(world)
    caro_code = world.page(iid, step, token="fu0").code
    assert world.reply(CARO, f"P {caro_code}").outcome == "passed"
    nxt = follow_up(world, iid, FOLLOW_UP_BASE, step)
    assert (nxt.action, nxt.position) == ("page", FOLLOW_UP_BASE + 1)


def test_an_overdue_follow_up_whose_sms_fails_is_called_and_taken_over_by_key(
        world: World) -> None:
    iid, code, step = overdue(world)
    world.page(iid, step, token="fu0")
    page = world.incidents.page_for(iid, FOLLOW_UP_BASE)
    assert page is not None and page.message_sid
    assert world.status(iid, FOLLOW_UP_BASE, MessageSid=page.message_sid,
                        MessageStatus="undelivered", ErrorCode="30003") == "calling"
    script = world.answer_call(iid, FOLLOW_UP_BASE)
    assert script.gather is not None and "follow-up" in script.gather
    assert "overdue" in script.gather and "needs an on-call clinician" not in script.gather
    taken = world.key(iid, FOLLOW_UP_BASE, "1")
    assert "yours now" in " ".join(taken.say)
    incident = world.incidents.get(iid)
    assert incident is not None and incident.follow_up_owner == "clin-caro"
    assert ("fu0", {"result": "follow_up_taken"}) in world.ladder.woken
    world.assert_no_phi()


def test_the_follow_up_escalates_along_the_programs_own_policy(world: World) -> None:
    world.directory.programs["west-iop"]["ladder_follow_up"] = "backup 1bd, supervisor 2bd"
    iid, _ = resolved(world)
    rungs = world.ladder.started[follow_up_execution(iid)]["ladder"]["rungs"]
    assert [(r["target"], r["business_days"]) for r in rungs] == [("backup", 1),
                                                                  ("supervisor", 2)]
    world.clock.advance(FOLLOW_UP_DUE.total_seconds())
    step = follow_up(world, iid, FOLLOW_UP_BASE - 1)
    assert (step.action, step.clinician_id) == ("page", "clin-ben")


def test_a_follow_up_policy_never_refers() -> None:
    from crisis_pager.domain.program import program_from_fields
    from tests.fakes.directory import PROGRAM_FIELDS

    refers = program_from_fields("west-iop", {**PROGRAM_FIELDS,
                                              "ladder_follow_up": "supervisor 1bd, referral"})
    (problem,) = refers.problems
    assert problem.field == "ladder_follow_up" and "referral" in str(problem)
    default = program_from_fields("west-iop", dict(PROGRAM_FIELDS))
    assert [r.target for r in default.follow_up_policy] == ["supervisor"] * 3
    assert refers.follow_up_policy == default.follow_up_policy, "named, and the default used"
