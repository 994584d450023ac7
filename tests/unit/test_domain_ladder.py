"""Ladder policies: the defaults, the grammar, its limits and the frozen snapshot."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis_pager.domain import ladder
from crisis_pager.domain.errors import InvalidPolicy
from crisis_pager.domain.hours import DEFAULT_BUSINESS_HOURS, BusinessHours, parse_business_hours
from crisis_pager.domain.incident import Severity
from crisis_pager.domain.ladder import (
    DEFAULT_POLICIES,
    MAX_BUSINESS_DAYS,
    MAX_RUNGS,
    MAX_TASK_BUSINESS_DAYS,
    MAX_WINDOW_S,
    MIN_WINDOW_S,
    Rung,
    RungKind,
    check_policy_for,
    parse_policy,
    rung_start_offsets,
    snapshot,
    task_window,
)
from tests.unit.test_domain_hours import cases as hours_and_instants

PROPERTY = settings(max_examples=200, deadline=None)


def page(target: str, window_s: int, *, voice: bool = False) -> Rung:
    return Rung(RungKind.PAGE, target, window_s, voice=voice)


def task(target: str, business_days: int = 1) -> Rung:
    return Rung(RungKind.PAGE, target, 0, business_days=business_days)


REFERRAL = Rung(RungKind.REFERRAL, "referral", 0)


def test_every_severity_has_a_default_policy() -> None:
    assert set(DEFAULT_POLICIES) == set(Severity)


@pytest.mark.parametrize("severity", list(Severity))
def test_each_default_policy_parses(severity: Severity) -> None:
    rungs = parse_policy(DEFAULT_POLICIES[severity])
    assert 1 <= len(rungs) <= MAX_RUNGS
    assert (rungs[0].kind, rungs[0].target) == (RungKind.PAGE, "primary")
    check_policy_for(severity, rungs)
    referrals = [r for r in rungs if r.kind is RungKind.REFERRAL]
    # `low` is a task rather than a crisis: it never refers; every other severity does once.
    assert len(referrals) == (0 if severity is Severity.LOW else 1)


def test_high_default_expands_to_the_documented_rungs() -> None:
    rungs = parse_policy(DEFAULT_POLICIES[Severity.HIGH])
    assert rungs == (
        page("primary", 300),
        page("backup", 300),
        page("supervisor", 300),
        REFERRAL,
        *[page("supervisor", 300)] * 6,
    )


@pytest.mark.parametrize(
    ("severity", "page_starts", "referral_at"),
    [
        (Severity.IMMINENT, [0, 180, 360], 600),  # backup at 3 min, supervisor 6, referral 10
        (Severity.HIGH, [0, 300, 600], 900),  # backup at 5, supervisor 10, referral 15
        (Severity.MODERATE, [0, 900, 1800], 3600),  # backup at 15, supervisor 30, referral 60
    ],
)
def test_default_offsets_match_the_documented_minutes(
    severity: Severity, page_starts: list[int], referral_at: int
) -> None:
    rungs = parse_policy(DEFAULT_POLICIES[severity])
    offsets = rung_start_offsets(rungs)
    assert offsets[:3] == page_starts
    assert [r.kind for r in rungs[:3]] == [RungKind.PAGE] * 3
    assert rungs[3].kind is RungKind.REFERRAL
    assert offsets[3] == referral_at
    # the repage after the referral starts at once (the referral takes no window)
    assert offsets[4] == referral_at


def test_imminent_pages_the_primary_by_sms_and_voice_at_once_and_only_the_primary() -> None:
    rungs = parse_policy(DEFAULT_POLICIES[Severity.IMMINENT])
    assert rungs[0] == page("primary", 180, voice=True)
    assert [r.voice for r in rungs[1:]] == [False] * (len(rungs) - 1)
    for severity in (Severity.HIGH, Severity.MODERATE, Severity.LOW):
        assert not any(r.voice for r in parse_policy(DEFAULT_POLICIES[severity]))


def test_moderate_refers_only_after_an_hour_without_acceptance() -> None:
    rungs = parse_policy(DEFAULT_POLICIES[Severity.MODERATE])
    referral = [r.kind for r in rungs].index(RungKind.REFERRAL)
    assert rung_start_offsets(rungs)[referral] == 3600
    assert all(r.kind is RungKind.PAGE for r in rungs[:referral])


def test_low_is_a_business_hours_task_for_the_primary_then_the_supervisor() -> None:
    rungs = parse_policy(DEFAULT_POLICIES[Severity.LOW])
    # The primary has until the end of the next business day; then the supervisor, once
    # a business day for a business week. Never a referral, never a call at once.
    assert rungs == (task("primary"), *[task("supervisor")] * 5)
    assert all(r.is_task and r.window_s == 0 and not r.voice for r in rungs)
    assert rung_start_offsets(rungs) == [0] * len(rungs)  # bd windows are calendar-bound


def test_grammar_is_case_and_space_tolerant() -> None:
    assert parse_policy("  PRIMARY 90S ,Backup 1H x 2,  Referral ") == (
        page("primary", 90),
        page("backup", 3600),
        page("backup", 3600),
        REFERRAL,
    )


def test_window_bounds_are_inclusive() -> None:
    assert parse_policy(f"primary {MIN_WINDOW_S}s")[0].window_s == MIN_WINDOW_S
    assert parse_policy("primary 24h")[0].window_s == MAX_WINDOW_S
    assert len(parse_policy(f"primary 1m x{MAX_RUNGS}")) == MAX_RUNGS


@pytest.mark.parametrize(
    ("policy", "names"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("primary 5m,, backup 5m", "empty"),
        ("primary 5m,", "empty"),
        ("primary", "'primary'"),
        ("primary 5x", "'primary 5x'"),
        ("primary 5m, backup", "'backup'"),
        ("primary 2d", "'primary 2d'"),
        ("primary 5 m", "'primary 5 m'"),
        ("primary -5m", "'primary -5m'"),
        ("1st 5m", "'1st 5m'"),
        ("primary 10s", "'primary 10s'"),
        ("primary 29s", "'primary 29s'"),
        ("primary 25h", "'primary 25h'"),
        ("primary 0m", "'primary 0m'"),
        ("primary 5m x0", "'primary 5m x0'"),
        ("referral, primary 5m", "referral"),
        ("primary 5m, referral, referral", "more than one referral"),
        ("primary 5m, referral, backup 5m, referral", "more than one referral"),
        ("primary 3m +sms", "unknown modifier '+sms'"),
        ("primary 3m +voice +voice", "+voice more than once"),
        ("primary 3m x2 +voice", "'primary 3m x2 +voice' is not"),
        ("primary +voice", "'primary +voice' is not"),
        ("referral +voice", "'referral +voice' is not"),
        ("primary 1bd +voice", "+voice (a call at once) is for timed rungs"),
        ("primary 0bd", "'primary 0bd' gives 0 business days"),
        (f"primary {MAX_BUSINESS_DAYS + 1}bd", f"1..{MAX_BUSINESS_DAYS}bd"),
        ("primary 1 bd", "'primary 1 bd' is not"),
        ("primary 1d", "'primary 1d' is not"),
        ("primary 1bd x0", "repeats zero times"),
        ("primary 1bd, supervisor 30m", "mixes a business-day rung 'primary 1bd' with a "
                                        "timed rung 'supervisor 30m'"),
        ("primary 5m, supervisor 1bd", "mixes a business-day rung 'supervisor 1bd'"),
        ("primary 1bd, referral", "a task never refers"),
        ("primary 1bd, supervisor 1bd x5, referral", "a task never refers"),
        (f"primary 1bd x{MAX_RUNGS + 1}", f"{MAX_RUNGS + 1} rungs"),
        ("primary 10bd, supervisor 10bd, supervisor 1bd", "spans 21 business days; at most 20"),
        ("supervisor 1bd x21", "spans 21 business days"),
        (f"primary 5m x{MAX_RUNGS + 1}", f"{MAX_RUNGS + 1} rungs"),
        (f"primary 5m x{MAX_RUNGS}, referral", f"{MAX_RUNGS + 1} rungs"),
    ],
)
def test_invalid_policies_name_the_bad_rung(policy: str, names: str) -> None:
    with pytest.raises(InvalidPolicy) as info:
        parse_policy(policy)
    assert names in str(info.value)


def test_voice_and_business_day_rungs() -> None:
    assert parse_policy("Primary 3M +Voice x2, backup 90s+voice, referral") == (
        page("primary", 180, voice=True),
        page("primary", 180, voice=True),
        page("backup", 90, voice=True),
        REFERRAL,
    )
    assert parse_policy("primary 1bd, supervisor 2BD x 3") == (
        task("primary"), *[task("supervisor", 2)] * 3)
    assert parse_policy(f"primary {MAX_BUSINESS_DAYS}bd")[0].business_days == MAX_BUSINESS_DAYS


def test_only_low_may_wait_for_business_hours() -> None:
    tasks = parse_policy("primary 1bd")
    check_policy_for(Severity.LOW, tasks)
    check_policy_for(Severity.LOW, parse_policy("primary 1h, backup 1h"))  # timed is fine
    for severity in (Severity.IMMINENT, Severity.HIGH, Severity.MODERATE):
        with pytest.raises(InvalidPolicy, match=f"a {severity.value} crisis never waits"):
            check_policy_for(severity, tasks)


def test_a_referral_must_not_come_first() -> None:
    with pytest.raises(InvalidPolicy, match="must start by paging"):
        parse_policy("referral, primary 5m")


class _TooManyRungs(Exception):
    pass


def test_a_huge_repeat_is_refused_without_expanding_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: 'x100000000' (an admin typo) once built 10^8 rungs before the limit check,
    stalling every Lambda that reads the program. Rung is wrapped to count constructions."""
    built = 0
    real_rung = ladder.Rung

    def counting_rung(*args: object) -> Rung:
        nonlocal built
        built += 1
        if built > 10 * MAX_RUNGS:
            raise _TooManyRungs(f"built {built} rungs for one policy")
        return real_rung(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(ladder, "Rung", counting_rung)
    for policy in ("primary 5m x100000000", "primary 5m x39, backup 5m x999999999",
                   "primary 5m x" + "9" * 30):
        with pytest.raises(InvalidPolicy, match="primary|backup"):
            parse_policy(policy)


# ---------------------------------------------------------------- properties

targets = st.from_regex(r"[a-z][a-z0-9_-]{0,39}", fullmatch=True).filter(lambda t: t != "referral")
units = st.sampled_from([("s", 1), ("m", 60), ("h", 3600)])


@st.composite
def page_parts(draw: st.DrawFn) -> tuple[str, list[Rung]]:
    target = draw(targets)
    unit, per = draw(units)
    n = draw(st.integers(-(-MIN_WINDOW_S // per), MAX_WINDOW_S // per))
    times = draw(st.one_of(st.none(), st.integers(1, 5)))
    voice = draw(st.booleans())
    text = f"{target}{draw(st.sampled_from([' ', '  ', chr(9)]))}{n}{unit}"
    if voice:
        text += f"{draw(st.sampled_from(['', ' ', '  ']))}+voice"
    if times is not None:
        text += f"{draw(st.sampled_from(['', ' ']))}x{draw(st.sampled_from(['', ' ']))}{times}"
    if draw(st.booleans()):
        text = text.upper()
    return text, [page(target, n * per, voice=voice)] * (times or 1)


@st.composite
def task_policies(draw: st.DrawFn) -> tuple[str, tuple[Rung, ...]]:
    parts, expected = [], []
    for _ in range(draw(st.integers(1, 6))):
        target, days = draw(targets), draw(st.integers(1, MAX_BUSINESS_DAYS))
        times = draw(st.one_of(st.none(), st.integers(1, 5)))
        parts.append(f"{target} {days}bd" + (f" x{times}" if times else ""))
        expected += [task(target, days)] * (times or 1)
    return ", ".join(parts), tuple(expected[: MAX_RUNGS + 1])


@st.composite
def policies(draw: st.DrawFn) -> tuple[str, tuple[Rung, ...]]:
    parts = draw(st.lists(page_parts(), min_size=1, max_size=8))
    texts = [t for t, _ in parts]
    expected = [r for _, rungs in parts for r in rungs]
    if draw(st.booleans()):
        at = draw(st.integers(1, len(parts)))
        texts.insert(at, draw(st.sampled_from(["referral", "REFERRAL", " Referral "])))
        expected.insert(sum(len(rungs) for _, rungs in parts[:at]), REFERRAL)
    sep = draw(st.sampled_from([",", ", ", " , "]))
    return sep.join(texts), tuple(expected[: MAX_RUNGS + 1])


@PROPERTY
@given(st.one_of(policies(), task_policies()))
def test_valid_policies_parse_and_round_trip_through_the_snapshot(
    case: tuple[str, tuple[Rung, ...]],
) -> None:
    text, expected = case
    if len(expected) > MAX_RUNGS:
        with pytest.raises(InvalidPolicy, match="rungs"):
            parse_policy(text)
        return
    if sum(r.business_days for r in expected) > MAX_TASK_BUSINESS_DAYS:
        with pytest.raises(InvalidPolicy, match=f"at most {MAX_TASK_BUSINESS_DAYS}"):
            parse_policy(text)
        return
    rungs = parse_policy(text)
    assert rungs == expected
    frozen = json.loads(json.dumps(snapshot(rungs)))  # as it travels in the execution input
    assert tuple(Rung.from_input(d) for d in frozen) == rungs
    for d, rung in zip(frozen, rungs, strict=True):
        # voice and business_days only when set: snapshots frozen before them still read
        assert set(d) == {"kind", "target", "window_s"} | ({"voice"} if rung.voice else set()) \
            | ({"business_days"} if rung.is_task else set())
        assert d.get("voice", False) is rung.voice
        assert d.get("business_days", 0) == rung.business_days


@PROPERTY
@given(st.text(alphabet="primaybckuse rfl0123456789smhbdx,+voice", max_size=60))
def test_whatever_parses_obeys_the_ladder_invariants(text: str) -> None:
    try:
        rungs = parse_policy(text)
    except InvalidPolicy:
        return
    assert 1 <= len(rungs) <= MAX_RUNGS
    assert sum(r.business_days for r in rungs) <= MAX_TASK_BUSINESS_DAYS
    assert rungs[0].kind is RungKind.PAGE
    assert sum(r.kind is RungKind.REFERRAL for r in rungs) <= 1
    tasks = [r.is_task for r in rungs if r.kind is RungKind.PAGE]
    assert all(tasks) or not any(tasks), "never a task ladder mixed with a crisis ladder"
    for r in rungs:
        if r.is_task:
            assert 1 <= r.business_days <= MAX_BUSINESS_DAYS
            assert r.window_s == 0 and not r.voice and r.kind is RungKind.PAGE
            assert all(x.kind is RungKind.PAGE for x in rungs), "a task never refers"
        elif r.kind is RungKind.PAGE:
            assert MIN_WINDOW_S <= r.window_s <= MAX_WINDOW_S
        else:
            assert (r.target, r.window_s, r.voice) == ("referral", 0, False)
    offsets = rung_start_offsets(rungs)
    assert offsets[0] == 0
    assert all(b - a == r.window_s for a, b, r in zip(offsets, offsets[1:], rungs, strict=False))


def test_a_snapshot_frozen_before_voice_and_business_days_reads_without_them() -> None:
    old = {"kind": "page", "target": "primary", "window_s": 180}
    assert Rung.from_input(old) == page("primary", 180)
    assert Rung.from_input({**old, "voice": True}) == page("primary", 180, voice=True)
    assert Rung.from_input({**old, "voice": False}).voice is False
    assert Rung.from_input({"kind": "page", "target": "primary", "window_s": 0,
                            "business_days": "2"}) == task("primary", 2)
    assert page("primary", 180).to_input() == old
    assert task("supervisor").to_input() == {"kind": "page", "target": "supervisor",
                                             "window_s": 0, "business_days": 1}


@PROPERTY
@given(hours_and_instants(), st.integers(1, MAX_BUSINESS_DAYS))
def test_a_task_is_paged_within_business_hours_before_its_deadline(
        case: tuple[BusinessHours, datetime], n: int) -> None:
    hours, due = case
    window = task_window(task("primary", n), due, hours)
    assert window.page_at.astimezone(UTC) >= due.astimezone(UTC)
    assert hours.is_open(window.page_at)
    assert window.page_at < window.deadline
    assert window.deadline == hours.close_of_business_day_after(due, n)
    assert window.window_s(window.page_at.astimezone(UTC)) >= 1


def test_a_task_window_for_a_task_opened_tuesday_evening() -> None:
    hours = parse_business_hours(DEFAULT_BUSINESS_HOURS, "America/Los_Angeles")
    tue_20 = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # Tue 20:00 in Los Angeles
    window = task_window(task("primary"), tue_20, hours)
    assert window.page_at == datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # Wed 09:00
    assert window.deadline == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # Wed 17:00
    assert window.window_s(window.page_at) == 8 * 3600
    assert window.window_s(window.deadline + timedelta(hours=1)) == 1
    with pytest.raises(ValueError, match="not a business-day rung"):
        task_window(page("primary", 300), tue_20, hours)


def test_from_input_reads_a_window_stored_as_a_string_or_missing() -> None:
    assert Rung.from_input({"kind": "page", "target": "backup", "window_s": "300"}) == page(
        "backup", 300
    )
    assert Rung.from_input({"kind": "referral", "target": "referral"}) == REFERRAL
    with pytest.raises(ValueError):
        Rung.from_input({"kind": "call", "target": "backup", "window_s": 300})
