"""Each invariant checker fails on a hand-made history that breaks it (and passes the same
history once fixed): a checker that cannot fail checks nothing."""

from __future__ import annotations

from dataclasses import replace

from tests.soak import checks
from tests.soak.history import History, IncidentRecord, Post, Send
from tests.soak.plan import plan

T0 = 1_800_000_000.0


def good() -> History:
    """One high crisis, paged at rung 0, accepted at 60 s; the hotline told once."""
    h = History(seed=1)
    h.posts = [Post(0, "e0", 202, "inc0"), Post(0, "e0", 202, "inc0")]
    h.incidents = {"inc0": IncidentRecord("inc0", "e0", "high", "accepted", T0, T0 + 60, None)}
    h.executions = {"inc0": 1}
    h.sends = [Send("sms", "+1", "inc0", 0, T0 + 1, 0.0, "Crisis page 417")]
    h.callbacks = [("inc0", "accepted")]
    h.texts = {"sms": ["Crisis page 417"], "logs": ["rung paged"]}
    h.index_of = {"inc0": 0}
    return h


def violations(h: History) -> dict[str, int]:
    return {r.name[0]: len(r.violations) for r in checks.check(h)}


def test_a_good_history_passes_every_check() -> None:
    assert set(violations(good()).values()) == {0}


def test_1_two_incidents_for_one_event_or_two_ladders_or_an_open_end() -> None:
    h = good()
    h.posts.append(Post(0, "e0", 202, "inc1"))
    assert violations(h)["1"] == 1
    h = good()
    h.executions = {"inc0": 2}
    assert violations(h)["1"] == 1
    h = good()
    h.incidents["inc0"] = replace(h.incidents["inc0"], status="triggered")
    assert violations(h)["1"] == 1


def test_2_a_page_after_the_acceptance() -> None:
    h = good()
    h.sends.append(Send("call", "+2", "inc0", 1, T0 + 61, 0.0, "{}"))
    assert violations(h)["2"] == 1


def test_3_a_second_page_on_a_rung_unless_it_is_the_at_least_once_window() -> None:
    h = good()
    h.sends.append(Send("sms", "+1", "inc0", 0, T0 + 3, 0.0, "Crisis page 417"))
    assert violations(h)["3"] == 1
    h.sends[0] = replace(h.sends[0], ambiguous=True)  # Twilio took it; nobody saw the answer
    (result,) = [r for r in checks.check(h) if r.name.startswith("3")]
    assert (len(result.violations), result.at_least_once) == (0, 1)


def test_4_participant_details_in_any_channel() -> None:
    p = plan(1, 0, 4)
    for leak in (p.summary, p.participant_ref, '{"screener": {"4": true}}', "sister Rosa"):
        h = good()
        h.texts["logs"].append(f"oops {leak}")
        assert violations(h)["4"] >= 1, leak
    h = good()
    h.texts["execution"] = [f"input {p.participant_ref}"]
    (result,) = [r for r in checks.check(h) if r.name.startswith("4")]
    assert result.violations[0][0] == "inc0", "the leak names its incident"


def test_5_a_crisis_referred_late_or_never_and_a_low_task_referred() -> None:
    h = good()
    h.incidents["inc0"] = replace(h.incidents["inc0"], status="referred", accepted_at=None,
                                  referred_at=T0 + 900 + checks.SLACK_S + 1)
    h.callbacks = [("inc0", "referred")]
    assert violations(h)["5"] == 1
    h.incidents["inc0"] = replace(h.incidents["inc0"], referred_at=T0 + 900)
    assert violations(h)["5"] == 0
    h.incidents["inc0"] = replace(h.incidents["inc0"], status="triggered", referred_at=None)
    assert violations(h)["5"] == 1
    h.incidents["inc0"] = replace(h.incidents["inc0"], severity="low", status="referred",
                                  referred_at=T0 + 10)
    assert violations(h)["5"] == 1


def test_6_a_missing_or_second_callback() -> None:
    h = good()
    h.callbacks = []
    assert violations(h)["6"] == 1
    h.callbacks = [("inc0", "accepted"), ("inc0", "accepted")]
    assert violations(h)["6"] == 1
    h.callbacks = [("inc0", "accepted"), ("inc0", "referred")]
    assert violations(h)["6"] == 1


def test_a_plan_is_derived_from_seed_and_index_alone() -> None:
    assert plan(123, 17, 4) == plan(123, 17, 4)
    assert [plan(123, i, 4) for i in range(50)] != [plan(124, i, 4) for i in range(50)]


def test_shards_merge_into_one_report_that_keeps_every_violation() -> None:
    from tests.soak.report import Check, Summary, merge

    a = Summary(7, 3, 10.0, [Check("5 referred", 3, 0, [(4, "inc4", "late")])],
                [], [1.0], [100.0], [-2.0], {"4": "2026-12-04T17:30:00+00:00"})
    b = Summary(7, 2, 12.0, [Check("5 referred", 2, 1, [])], [9], [3.0], [], [],
                {"9": "2026-12-05T01:00:00+00:00"})
    merged = merge([a, b], 12.5)
    assert (merged.incidents, merged.wall_s) == (5, 12.5)
    assert merged.checks[0].checked == 5 and merged.checks[0].at_least_once == 1
    assert merged.checks[0].violations == [(4, "inc4", "late")]
    assert merged.stuck == [9] and merged.violations == 2
    assert sorted(merged.ladder_s) == [1.0, 3.0]
    assert merged.opened == {"4": "2026-12-04T17:30:00+00:00", "9": "2026-12-05T01:00:00+00:00"}


def test_a_replay_starts_the_ladder_clock_where_the_incident_came_in(capsys) -> None:
    """A low task that came in on a Friday evening waits for Monday: replayed on a weekday
    morning it would pass. The printed replay names the instant."""
    from tests.soak.report import Check, Summary, show

    show(Summary(7, 1, 1.0, [Check("1 final", 1, 0, [])], [3], [], [], [],
                 {"3": "2026-12-05T01:30:00+00:00"}))
    assert ("replay: SOAK_SEED=7 SOAK_ONLY=3 SOAK_AT=2026-12-05T01:30:00+00:00 make soak"
            in capsys.readouterr().out)


LOW = ({"kind": "page", "target": "primary", "window_s": 0, "business_days": 1},
       {"kind": "page", "target": "supervisor", "window_s": 0, "business_days": 1})
HIGH = ({"kind": "page", "target": "primary", "window_s": 300},
        {"kind": "page", "target": "backup", "window_s": 300},
        {"kind": "referral", "target": "referral", "window_s": 0})


def test_a_ladder_deadline_follows_the_business_calendar_over_a_weekend() -> None:
    """A low task in on Friday 17:30 (Los Angeles) is due at Monday's close, then Tuesday's:
    what the 2,000 run's 'stuck' incident 1301 was (it outlived a fixed wall wait)."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from tests.soak.run import STUCK_SLACK_RUNG_S, STUCK_SLACK_S, ladder_deadline

    la = ZoneInfo("America/Los_Angeles")
    friday = datetime(2026, 12, 4, 17, 30, tzinfo=la).astimezone(UTC)
    slack = timedelta(seconds=STUCK_SLACK_S + 2 * STUCK_SLACK_RUNG_S)
    assert ladder_deadline(friday, LOW) == datetime(2026, 12, 8, 17, tzinfo=la) + slack
    tuesday = datetime(2026, 12, 1, 10, tzinfo=la).astimezone(UTC)
    assert ladder_deadline(tuesday, LOW) == datetime(2026, 12, 3, 17, tzinfo=la) + slack
    slack3 = timedelta(seconds=STUCK_SLACK_S + 3 * STUCK_SLACK_RUNG_S)
    assert ladder_deadline(friday, HIGH) == friday + timedelta(minutes=10) + slack3
