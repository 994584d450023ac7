"""Ladder policies: the defaults, the grammar, its limits and the frozen snapshot."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis_pager.domain import ladder
from crisis_pager.domain.errors import InvalidPolicy
from crisis_pager.domain.incident import Severity
from crisis_pager.domain.ladder import (
    DEFAULT_POLICIES,
    MAX_RUNGS,
    MAX_WINDOW_S,
    MIN_WINDOW_S,
    Rung,
    RungKind,
    parse_policy,
    rung_start_offsets,
    snapshot,
)

PROPERTY = settings(max_examples=200, deadline=None)


def page(target: str, window_s: int) -> Rung:
    return Rung(RungKind.PAGE, target, window_s)


REFERRAL = Rung(RungKind.REFERRAL, "referral", 0)


def test_every_severity_has_a_default_policy() -> None:
    assert set(DEFAULT_POLICIES) == set(Severity)


@pytest.mark.parametrize("severity", list(Severity))
def test_each_default_policy_parses(severity: Severity) -> None:
    rungs = parse_policy(DEFAULT_POLICIES[severity])
    assert 1 <= len(rungs) <= MAX_RUNGS
    assert rungs[0] == page("primary", rungs[0].window_s)
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
        (f"primary 5m x{MAX_RUNGS + 1}", f"{MAX_RUNGS + 1} rungs"),
        (f"primary 5m x{MAX_RUNGS}, referral", f"{MAX_RUNGS + 1} rungs"),
    ],
)
def test_invalid_policies_name_the_bad_rung(policy: str, names: str) -> None:
    with pytest.raises(InvalidPolicy) as info:
        parse_policy(policy)
    assert names in str(info.value)


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
    text = f"{target}{draw(st.sampled_from([' ', '  ', chr(9)]))}{n}{unit}"
    if times is not None:
        text += f"{draw(st.sampled_from(['', ' ']))}x{draw(st.sampled_from(['', ' ']))}{times}"
    if draw(st.booleans()):
        text = text.upper()
    return text, [page(target, n * per)] * (times or 1)


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
@given(policies())
def test_valid_policies_parse_and_round_trip_through_the_snapshot(
    case: tuple[str, tuple[Rung, ...]],
) -> None:
    text, expected = case
    if len(expected) > MAX_RUNGS:
        with pytest.raises(InvalidPolicy, match="rungs"):
            parse_policy(text)
        return
    rungs = parse_policy(text)
    assert rungs == expected
    frozen = json.loads(json.dumps(snapshot(rungs)))  # as it travels in the execution input
    assert tuple(Rung.from_input(d) for d in frozen) == rungs
    for d in frozen:
        assert set(d) == {"kind", "target", "window_s"}


@PROPERTY
@given(st.text(alphabet="primaybckuse rfl0123456789smhx,", max_size=60))
def test_whatever_parses_obeys_the_ladder_invariants(text: str) -> None:
    try:
        rungs = parse_policy(text)
    except InvalidPolicy:
        return
    assert 1 <= len(rungs) <= MAX_RUNGS
    assert rungs[0].kind is RungKind.PAGE
    assert sum(r.kind is RungKind.REFERRAL for r in rungs) <= 1
    for r in rungs:
        if r.kind is RungKind.PAGE:
            assert MIN_WINDOW_S <= r.window_s <= MAX_WINDOW_S
        else:
            assert (r.target, r.window_s) == ("referral", 0)
    offsets = rung_start_offsets(rungs)
    assert offsets[0] == 0
    assert all(b - a == r.window_s for a, b, r in zip(offsets, offsets[1:], rungs, strict=False))


def test_from_input_reads_a_window_stored_as_a_string_or_missing() -> None:
    assert Rung.from_input({"kind": "page", "target": "backup", "window_s": "300"}) == page(
        "backup", 300
    )
    assert Rung.from_input({"kind": "referral", "target": "referral"}) == REFERRAL
    with pytest.raises(ValueError):
        Rung.from_input({"kind": "call", "target": "backup", "window_s": 300})
