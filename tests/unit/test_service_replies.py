"""A clinician's SMS replies end to end, through handle_sms_reply with in-memory ports:
A, P and R (with a code or bare), HELP, STATUS, STOP, START, and the reply codes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crisis_pager.domain.incident import CODE_HOLD_AFTER_ACCEPT, Status
from crisis_pager.service.referral import refer
from tests.fakes.directory import PROGRAM_FIELDS
from tests.fakes.world import ADMIN, ANA, BEN, CARO, World

STRANGER = "+15035550177"  # a phone that was never paged


@pytest.fixture
def world() -> World:
    w = World()
    w.directory.programs["west-iop"]["admin_phones"] = [ADMIN]
    return w


def add_program(world: World, program_id: str, name: str) -> None:
    """Another program with the same three clinicians on its rotas."""
    world.directory.programs[program_id] = {**PROGRAM_FIELDS, "display_name": name}
    for rota, member in [("primary", "clin-ana"), ("backup", "clin-ben"),
                         ("supervisor", "clin-caro")]:
        world.directory.set_rota(rota, [member], program_id=program_id)


def to_backup(world: World, iid: str, token: str = "t1") -> str:
    """The primary's window ran out: the ladder pages the backup (Ben)."""
    world.ladder.live_tokens.discard("t0")  # t0 timed out: it can no longer be woken
    return world.page(iid, world.advance(iid, 0), token=token).code


class Snapshot:
    """What a reply that changes nothing must leave as it was."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.items = dict(world.incidents.items)
        self.pages = dict(world.incidents.pages)
        self.woken = list(world.ladder.woken)
        self.rows = len(world.timeline.rows)
        self.calls = list(world.voice.calls)
        self.opt_outs = dict(world.opt_outs.phones)

    def unchanged(self) -> bool:
        w = self.world
        return (self.items == w.incidents.items and self.pages == w.incidents.pages
                and self.woken == w.ladder.woken and self.rows == len(w.timeline.rows)
                and self.calls == w.voice.calls and self.opt_outs == w.opt_outs.phones)


# ---------------------------------------------------------------- A, P and R with a code


@pytest.mark.parametrize("body", ["A {code}", "a{code}", "{code} a", "Accept: {code}!"])
def test_a_with_the_code_accepts(world: World, body: str) -> None:
    iid, code = world.started()
    world.clock.advance(45)
    outcome = world.reply(ANA, body.format(code=code))
    assert (outcome.outcome, outcome.incident_id, outcome.seconds_to_accept) == (
        "accepted", iid, 45)
    assert code in (outcome.answer or "") and "503-555-0100" in (outcome.answer or "")
    incident = world.incidents.get(iid)
    assert incident is not None and incident.status is Status.ACCEPTED
    assert incident.accepted_by == "clin-ana"
    assert world.ladder.woken == [("t0", {"result": "accepted"})]
    world.assert_no_phi()


def test_an_acceptance_answers_with_the_program_its_page_named_reading_nothing_first(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SMS path of a crisis's acceptance: the reply's page, then one conditional write
    that answers the incident; the answer names the program as the page did (the SMS the
    clinician holds), even when the program item has changed or cannot be read since."""
    iid, code = world.started()
    world.directory.programs["west-iop"]["display_name"] = "Renamed since"
    reads: list[str] = []
    monkeypatch.setattr(world.incidents, "get", lambda i: reads.append(i))
    monkeypatch.setattr(world.directory, "program", lambda p: reads.append(p))
    outcome = world.reply(ANA, f"A {code}")
    assert (outcome.outcome, outcome.incident_id, outcome.position) == ("accepted", iid, 0)
    assert "West IOP" in (outcome.answer or "") and "503-555-0100" in (outcome.answer or "")
    assert reads == []
    assert world.ladder.woken == [("t0", {"result": "accepted"})]


def test_p_with_the_code_passes_and_wakes_the_rung(world: World) -> None:
    iid, code = world.started()
    outcome = world.reply(ANA, f"P {code}")
    assert (outcome.outcome, outcome.position) == ("passed", 0)
    assert f"A {code}" in (outcome.answer or "")  # they can still take it
    assert world.ladder.woken == [("t0", {"result": "passed"})]
    assert world.status_of(iid) is Status.TRIGGERED
    page = world.incidents.page_for(iid, 0)
    assert page is not None and page.passed_at == world.clock.now()
    passed = [r for r in world.timeline.entries(iid) if r["kind"] == "passed"]
    assert [(r["clinician_id"], r["position"], r["via"]) for r in passed] == [
        ("clin-ana", 0, "sms")]
    # The ladder moves on to the backup at once.
    assert world.advance(iid, 0).clinician_id == "clin-ben"
    world.assert_no_phi()


def test_r_with_the_code_resolves_and_stops_the_ladder(world: World) -> None:
    iid, code = world.started()
    outcome = world.reply(ANA, f"R {code}")
    assert outcome.outcome == "resolved" and code in (outcome.answer or "")
    incident = world.incidents.get(iid)
    assert incident is not None and incident.status is Status.RESOLVED
    assert (incident.resolved_by, incident.resolved_at) == ("clin-ana", world.clock.now())
    assert world.ladder.woken == [("t0", {"result": "resolved"})]
    assert world.advance(iid, 0).action == "resolved"
    world.assert_no_phi()


# ---------------------------------------------------------------- bare A, P and R


@pytest.mark.parametrize(("body", "expected", "status"), [
    ("A", "accepted", Status.ACCEPTED),
    ("p", "passed", Status.TRIGGERED),
    ("Resolved.", "resolved", Status.RESOLVED),
])
def test_bare_reply_with_exactly_one_open_page_acts_on_it(world: World, body: str,
                                                          expected: str,
                                                          status: Status) -> None:
    iid, code = world.started()
    outcome = world.reply(ANA, body)
    assert (outcome.outcome, outcome.incident_id) == (expected, iid)
    assert code in (outcome.answer or "")
    assert world.status_of(iid) is status
    assert world.ladder.woken == [("t0", {"result": expected})]


@pytest.mark.parametrize("body", ["A", "P", "R"])
def test_bare_reply_with_several_open_pages_lists_the_codes_and_changes_nothing(
        world: World, body: str) -> None:
    first, code1 = world.started("evt-1")
    second, code2 = world.started("evt-2", token="t0-2")
    assert code1 != code2
    before = Snapshot(world)
    outcome = world.reply(ANA, body)
    assert outcome.outcome == "choose_code"
    answer = outcome.answer or ""
    assert code1 in answer and code2 in answer and f"{body} {code1}" in answer
    assert before.unchanged()
    assert world.status_of(first) is world.status_of(second) is Status.TRIGGERED


@pytest.mark.parametrize(("body", "word"), [("A", "accept"), ("P", "pass"), ("R", "resolve")])
def test_bare_reply_with_no_open_page_changes_nothing(world: World, body: str,
                                                      word: str) -> None:
    world.started()
    before = Snapshot(world)
    outcome = world.reply(BEN, body)  # Ben was never paged
    assert outcome.outcome == "no_open_pages"
    assert outcome.answer == f"You have no open pages to {word}."
    assert before.unchanged()


def test_bare_reply_ignores_an_incident_someone_else_accepted(world: World) -> None:
    iid, code = world.started()
    to_backup(world, iid)
    assert world.reply(BEN, f"A {code}").outcome == "accepted"
    before = Snapshot(world)
    assert world.reply(ANA, "A").outcome == "no_open_pages"
    assert world.reply(ANA, "R").outcome == "no_open_pages"
    assert before.unchanged()


def test_bare_r_by_the_acceptor_resolves_what_they_accepted(world: World) -> None:
    iid, code = world.started()
    assert world.reply(ANA, "A").outcome == "accepted"
    assert world.reply(ANA, "A").outcome == "no_open_pages"  # nothing left to accept
    outcome = world.reply(ANA, "R")
    assert (outcome.outcome, outcome.incident_id) == ("resolved", iid)
    assert world.status_of(iid) is Status.RESOLVED


# ---------------------------------------------------------------- P: only the one waited on, once


def test_a_second_pass_changes_nothing_and_says_so(world: World) -> None:
    iid, code = world.started()
    assert world.reply(ANA, f"P {code}").outcome == "passed"
    before = Snapshot(world)
    again = world.reply(ANA, f"P {code}")
    assert again.outcome == "pass_too_late"
    assert "changed nothing" in (again.answer or "")
    assert before.unchanged()
    assert world.ladder.woken == [("t0", {"result": "passed"})]


def test_a_pass_from_an_earlier_rungs_clinician_changes_nothing(world: World) -> None:
    iid, code = world.started()
    to_backup(world, iid, token="t1")
    before = Snapshot(world)
    outcome = world.reply(ANA, f"P {code}")
    assert outcome.outcome == "pass_too_late" and "changed nothing" in (outcome.answer or "")
    assert before.unchanged()
    assert world.ladder.woken == [], "Ben's rung must not be woken by Ana's pass"


def test_a_pass_wakes_exactly_its_own_rungs_token(world: World) -> None:
    iid, code = world.started()
    backup_code = to_backup(world, iid, token="t1")
    outcome = world.reply(BEN, f"P {backup_code}")
    assert (outcome.outcome, outcome.position) == ("passed", 1)
    assert world.ladder.woken == [("t1", {"result": "passed"})]
    # The pass of rung 1 does not make a pass at rung 0 possible again, nor a second one.
    assert world.reply(BEN, f"P {backup_code}").outcome == "pass_too_late"
    assert world.ladder.woken == [("t1", {"result": "passed"})]


def test_a_pass_after_an_acceptance_changes_nothing(world: World) -> None:
    iid, code = world.started()
    to_backup(world, iid)
    assert world.reply(ANA, f"A {code}").outcome == "accepted"
    before = Snapshot(world)
    outcome = world.reply(BEN, f"P {code}")
    assert outcome.outcome == "taken" and "Ana" in (outcome.answer or "")
    assert before.unchanged()


def test_a_pass_after_a_retried_page_invocation_wakes_the_live_token(world: World) -> None:
    iid = world.open().incident.incident_id
    step = world.advance(iid, -1)
    world.page(iid, step, token="t0")
    # Step Functions retried the task: the retry has its own token, the first is dead.
    world.ladder.live_tokens.discard("t0")
    retried = world.page(iid, step, token="t0-retry")
    assert retried.outcome == "already_sent"
    assert world.reply(ANA, f"P {retried.code}").outcome == "passed"
    assert ("t0-retry", {"result": "passed"}) in world.ladder.woken
    assert "t0-retry" not in world.ladder.live_tokens


# ---------------------------------------------------------------- R


def test_r_by_an_earlier_rungs_clinician_stops_the_ladder_at_the_current_rung(
        world: World) -> None:
    iid, code = world.started()
    to_backup(world, iid, token="t1")
    outcome = world.reply(ANA, f"R {code}")
    assert outcome.outcome == "resolved"
    assert world.status_of(iid) is Status.RESOLVED
    assert world.ladder.woken == [("t1", {"result": "resolved"})]


def test_r_by_someone_other_than_the_acceptor_changes_nothing(world: World) -> None:
    iid, code = world.started()
    to_backup(world, iid)
    assert world.reply(BEN, f"A {code}").outcome == "accepted"
    before = Snapshot(world)
    outcome = world.reply(ANA, f"R {code}")
    assert outcome.outcome == "not_yours"
    assert "Ben" in (outcome.answer or "") and "Nothing changed" in (outcome.answer or "")
    assert before.unchanged()
    incident = world.incidents.get(iid)
    assert incident is not None and incident.status is Status.ACCEPTED
    assert incident.resolved_by is None


def test_r_by_the_acceptor_after_acceptance_resolves(world: World) -> None:
    iid, code = world.started()
    assert world.reply(ANA, f"A {code}").outcome == "accepted"
    world.clock.advance(3600)
    outcome = world.reply(ANA, f"R {code}")
    assert outcome.outcome == "resolved"
    incident = world.incidents.get(iid)
    assert incident is not None and incident.status is Status.RESOLVED
    assert (incident.accepted_by, incident.resolved_by) == ("clin-ana", "clin-ana")
    # The ladder already stopped at the acceptance: nothing more to wake.
    assert world.ladder.woken == [("t0", {"result": "accepted"})]
    # Again: nothing changes; the answer repeats what is due (the follow-up).
    again = world.reply(ANA, f"R {code}")
    assert again.outcome == "resolved" and f"F {code} done" in (again.answer or "")
    assert world.incidents.get(iid) == incident


def test_r_waits_for_a_page_being_sent(world: World) -> None:
    iid, code = world.started()
    world.incidents.claim_rung(iid, 1, "backup", "clin-ben", "t1",
                               world.clock.now() + timedelta(seconds=10))
    start = world.clock.now()
    assert world.reply(ANA, f"R {code}").outcome == "resolved"
    incident = world.incidents.get(iid)
    assert incident is not None and incident.resolved_at is not None
    assert incident.resolved_at - start >= timedelta(seconds=10)


# ---------------------------------------------------------------- HELP, STATUS, nonsense


@pytest.mark.parametrize("body", ["HELP", "info", "?"])
def test_help_explains_the_replies_and_changes_nothing(world: World, body: str) -> None:
    world.started()
    before = Snapshot(world)
    outcome = world.reply(ANA, body)
    assert outcome.outcome == "help"
    assert all(word in (outcome.answer or "") for word in ("A 417", "P 417", "R 417", "STOP"))
    assert before.unchanged()


@pytest.mark.parametrize("body", ["ok", "on my way", "A 417 please", "STOP 417", "",
                                  "Jane Roe is safe"])
def test_unparseable_text_changes_nothing_and_explains(world: World, body: str) -> None:
    world.started()
    before = Snapshot(world)
    outcome = world.reply(ANA, body)
    assert outcome.outcome == "unrecognised"
    answer = outcome.answer or ""
    assert "not understood" in answer and "changed nothing" in answer
    if body:
        assert body not in answer, "the text is never echoed back"
    assert before.unchanged()


def test_status_lists_only_this_phones_open_pages_with_their_states(world: World) -> None:
    add_program(world, "east-iop", "East IOP")
    # Oldest first: evt-1 (Ana, then Ben: Ana's rung is past), evt-2 (waiting on Ana),
    # evt-3 (referred, the supervisor re-paged).
    first, code1 = world.started("evt-1")
    to_backup(world, first)
    world.clock.advance(60)
    second, code2 = world.started("evt-2", "t0-2", program_id="east-iop")
    world.clock.advance(60)
    third, code3 = world.started("evt-3", "t0-3")
    refer(third, 3, incidents=world.incidents, timeline=world.timeline,
          directory=world.directory, alerts=world.alerts, clock=world.clock)
    world.page(third, world.advance(third, 3), token="t3")
    before = Snapshot(world)

    ana = world.reply(ANA, "STATUS")
    assert ana.outcome == "status"
    lines = (ana.answer or "").split("\n")
    assert lines[0] == "Open pages:" and lines[-1] == "Reply A, P or R and the code."
    assert lines[1:-1] == [
        f"{code1} West IOP HIGH (moved on, still open)",
        f"{code2} East IOP HIGH (waiting on you)",
        f"{code3} West IOP HIGH (referred, still open)",
    ]
    ben = world.reply(BEN, "list")
    assert (ben.answer or "").split("\n")[1:-1] == [f"{code1} West IOP HIGH (waiting on you)"]
    caro = world.reply(CARO, "status")
    assert (caro.answer or "").split("\n")[1:-1] == [
        f"{code3} West IOP HIGH (referred, still open)"]
    assert world.reply(STRANGER, "STATUS").answer == "You have no open pages."
    assert before.unchanged()
    world.assert_no_phi()


def test_status_leaves_out_closed_incidents(world: World) -> None:
    iid, code = world.started("evt-1")
    other, other_code = world.started("evt-2", token="t0-2")
    to_backup(world, iid)
    assert world.reply(BEN, f"A {code}").outcome == "accepted"
    assert world.reply(ANA, f"R {other_code}").outcome == "resolved"
    assert "follow-up due" in (world.reply(ANA, "STATUS").answer or "")
    assert world.reply(ANA, f"F {other_code} done").outcome == "done"
    assert world.reply(ANA, "STATUS").answer == "You have no open pages."


def test_status_lists_what_this_phone_accepted_until_its_code_is_released(
        world: World) -> None:
    iid, code = world.started("evt-1")
    world.clock.advance(60)
    other, other_code = world.started("evt-2", token="t0-2")
    assert world.reply(ANA, f"A {code}").outcome == "accepted"
    outcome = world.reply(ANA, "STATUS")
    assert outcome.outcome == "status"
    assert (outcome.answer or "").split("\n")[1:-1] == [
        f"{code} West IOP HIGH (accepted by you)",
        f"{other_code} West IOP HIGH (waiting on you)",
    ]
    world.clock.advance(CODE_HOLD_AFTER_ACCEPT.total_seconds())
    later = world.reply(ANA, "STATUS").answer or ""
    assert code not in later and other_code in later


# ---------------------------------------------------------------- STOP and START


def test_stop_records_the_opt_out_alerts_and_calls_for_the_waiting_page(world: World) -> None:
    add_program(world, "east-iop", "East IOP")
    world.directory.programs["east-iop"]["admin_phones"] = ["+15035550188"]
    world.directory.programs["north-iop"] = {**PROGRAM_FIELDS, "display_name": "North IOP",
                                             "admin_phones": ["+15035550166"]}
    world.directory.set_rota("primary", ["clin-ben"], program_id="north-iop")
    iid, code = world.started()
    before_sent = len(world.sms.sent)

    outcome = world.reply(ANA, "STOP")
    assert (outcome.outcome, outcome.answer) == ("opted_out", None)
    assert world.opt_outs.opted_out(ANA)
    assert world.opt_outs.phones[ANA][1] == "STOP"
    # The admins of both programs naming Ana hear of it, and only they.
    assert sorted(p for p, _, _ in world.alerts.published) == ["east-iop", "west-iop"]
    assert all("Ana" in text and "STOP" in text for _, _, text in world.alerts.published)
    texted = sorted(to for to, _ in world.sms.sent[before_sent:])
    assert texted == ["+15035550188", ADMIN]
    # The page the ladder waits on becomes a call; STOP is never an acceptance.
    assert [(c.to, c.page) for c in world.voice.calls] == [(ANA, (iid, 0))]
    assert world.status_of(iid) is Status.TRIGGERED
    assert world.ladder.woken == []
    assert "accepted" not in world.timeline.kinds(iid)
    world.assert_no_phi()


def test_stop_calls_only_for_pages_the_ladder_still_waits_on(world: World) -> None:
    iid, code = world.started()
    to_backup(world, iid)
    world.reply(ANA, "STOP ALL")
    assert world.opt_outs.opted_out(ANA)
    assert world.voice.calls == []  # the ladder is already past Ana
    world.reply(BEN, "unsubscribe")
    assert [(c.to, c.page) for c in world.voice.calls] == [(BEN, (iid, 1))]


def test_a_second_stop_neither_alerts_nor_calls_again(world: World) -> None:
    world.started()
    world.reply(ANA, "STOP")
    alerts, calls, sent = len(world.alerts.published), len(world.voice.calls), len(world.sms.sent)
    world.reply(ANA, "stop")
    assert (len(world.alerts.published), len(world.voice.calls), len(world.sms.sent)) == (
        alerts, calls, sent)


def test_start_clears_the_opt_out(world: World) -> None:
    world.reply(ANA, "STOP")
    published = len(world.alerts.published)
    outcome = world.reply(ANA, "START")
    assert outcome.outcome == "opted_in" and "on again" in (outcome.answer or "")
    assert not world.opt_outs.opted_out(ANA)
    restored = world.alerts.published[published:]
    assert [(p, "Ana" in text) for p, _, text in restored] == [("west-iop", True)]
    # The next page is an SMS again.
    world.started()
    assert [to for to, _ in world.sms.sent if to == ANA] == [ANA]
    assert world.voice.calls == []


def test_start_without_an_opt_out_alerts_nobody(world: World) -> None:
    outcome = world.reply(ANA, "START")
    assert outcome.outcome == "opted_in"
    assert world.alerts.published == [] and world.sms.sent == []


# ---------------------------------------------------------------- codes


def test_a_code_this_phone_never_held_changes_nothing(world: World) -> None:
    iid, code = world.started("evt-1")
    # A second incident paged only to the backup: Ana never held its code.
    other = world.open("evt-2").incident.incident_id
    other_code = world.page(other, world.advance(other, 0), token="t-other").code
    assert other_code != code
    before = Snapshot(world)
    for phone, body in [(ANA, f"A {other_code}"), (ANA, f"R {other_code}"),
                        (ANA, f"P {other_code}"), (ANA, "A 999"), (STRANGER, f"A {code}")]:
        outcome = world.reply(phone, body)
        assert outcome.outcome == "unknown_code", body
    assert before.unchanged()
    assert world.status_of(other) is world.status_of(iid) is Status.TRIGGERED


def test_incidents_with_the_same_code_get_different_codes_on_one_phone(world: World) -> None:
    add_program(world, "east-iop", "East IOP")
    west = world.open("evt-1").incident
    east = world.open("evt-2", program_id="east-iop").incident
    assert west.code == east.code, "both programs chose the same incident code"
    world.page(west.incident_id, world.advance(west.incident_id, -1), token="t-west")
    east_code = world.page(east.incident_id, world.advance(east.incident_id, -1),
                           token="t-east").code
    assert east_code != west.code
    (_, east_sms), = [(to, b) for to, b in world.sms.sent if f"A {east_code}" in b]
    assert "East IOP" in east_sms
    # Each code names its own incident.
    outcome = world.reply(ANA, f"A {east_code}")
    assert (outcome.outcome, outcome.incident_id) == ("accepted", east.incident_id)
    assert world.status_of(west.incident_id) is Status.TRIGGERED
    assert world.ladder.woken == [("t-east", {"result": "accepted"})]


def test_one_incident_keeps_one_code_on_a_phone_paged_twice(world: World) -> None:
    world.directory.set_rota("supervisor", ["clin-ana"])
    iid, code = world.started()
    to_backup(world, iid)
    world.clock.advance(300)
    again = world.page(iid, world.advance(iid, 1), token="t2")
    assert again.code == code
    outcome = world.reply(ANA, f"P {code}")  # the latest page: the ladder waits on Ana
    assert (outcome.outcome, outcome.position) == ("passed", 2)
    assert world.ladder.woken == [("t2", {"result": "passed"})]


def _third_program_page(world: World, event_id: str) -> str:
    """A new program's incident whose incident code is 417 too: the code Ana would like
    to reply with. Returns the code she is paged with."""
    program_id = f"p-{event_id}"
    add_program(world, program_id, "North IOP")
    world.incidents.next_code = 417
    incident = world.open(event_id, program_id=program_id).incident
    assert incident.code == "417"
    return world.page(incident.incident_id, world.advance(incident.incident_id, -1),
                      token=f"t-{event_id}").code


@pytest.mark.parametrize("closed_by", ["someone_else_accepts", "resolved"])
def test_a_code_is_reused_once_its_incident_no_longer_holds_it(world: World,
                                                               closed_by: str) -> None:
    iid, code = world.started()
    assert code == "417"
    if closed_by == "someone_else_accepts":
        to_backup(world, iid)
        assert world.reply(BEN, f"A {code}").outcome == "accepted"
    else:
        assert world.reply(ANA, f"R {code}").outcome == "resolved"
        assert _third_program_page(world, "evt-2") != "417"  # held for "F 417 done"
        assert world.reply(ANA, f"F {code} done").outcome == "done"
    assert _third_program_page(world, "evt-3") == "417"


def test_a_code_the_phone_accepted_is_held_for_a_while(world: World) -> None:
    iid, code = world.started()
    assert world.reply(ANA, f"A {code}").outcome == "accepted"
    world.clock.advance(CODE_HOLD_AFTER_ACCEPT.total_seconds() - 60)
    held = _third_program_page(world, "evt-2")
    assert held != code
    # A late "R 417" still names the accepted incident, not the new one.
    outcome = world.reply(ANA, f"R {code}")
    assert (outcome.outcome, outcome.incident_id) == ("resolved", iid)


def test_a_code_the_phone_accepted_is_reused_after_the_hold(world: World) -> None:
    iid, code = world.started()
    assert world.reply(ANA, f"A {code}").outcome == "accepted"
    world.clock.advance(CODE_HOLD_AFTER_ACCEPT.total_seconds() + 1)
    assert _third_program_page(world, "evt-2") == code
    assert world.status_of(iid) is Status.ACCEPTED


def test_a_code_still_open_is_never_reused(world: World) -> None:
    iid, code = world.started()
    to_backup(world, iid)  # Ana's rung is past, but the incident is open
    world.clock.advance(CODE_HOLD_AFTER_ACCEPT.total_seconds() * 3)
    assert _third_program_page(world, "evt-2") != code
    assert world.reply(ANA, f"A {code}").incident_id == iid


def test_accepting_a_low_task_says_it_is_a_task_not_a_warm_handoff(world: World) -> None:
    from crisis_pager.domain.incident import Severity

    iid = world.open(severity=Severity.LOW).incident.incident_id
    code = world.page(iid, world.advance(iid, -1)).code
    answer = world.reply(ANA, f"A {code}").answer or ""
    assert "task is yours" in answer and "warm handoff" not in answer


def test_an_sms_acceptance_carries_the_link_and_a_key_press_issues_none(world: World) -> None:
    iid, code = world.started()
    answer = world.reply(ANA, f"A {code}").answer or ""
    assert f"https://pager.example/brief/{iid}/" in answer
    [link] = world.links.items.values()
    assert (link.incident_id, link.clinician_id, link.purpose.value) == (
        iid, "clin-ana", "accepted")
    other, _ = world.started("evt-2", token="t9")
    world.key(other, 0, "1")  # accepted on the call: it cannot carry a link
    assert len(world.links.items) == 1


def test_resolving_a_high_crisis_links_the_follow_up_until_it_is_due(world: World) -> None:
    iid, code = world.started()
    world.reply(ANA, f"A {code}")
    answer = world.reply(ANA, f"R {code}").answer or ""
    assert f"https://pager.example/brief/{iid}/" in answer
    follow_up = [link for link in world.links.items.values()
                 if link.purpose.value == "follow_up"]
    incident = world.incidents.get(iid)
    assert incident is not None and len(follow_up) == 1
    assert follow_up[0].expires_at == incident.follow_up_due_at
