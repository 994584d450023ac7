"""Incident identity, request fingerprints, status rules and the referral."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis_pager.domain.incident import (
    ACCEPT_FROM,
    OPEN_STATUSES,
    PAGE_FROM,
    REFER_FROM,
    Status,
    incident_id_for,
    page_position,
    request_fingerprint,
    seconds_between,
    whole_number,
)
from crisis_pager.domain.program import program_from_fields
from crisis_pager.domain.referral import build_referral
from tests.unit.test_domain_program import COMPLETE

PROPERTY = settings(max_examples=200, deadline=None)
# what hotline_intake lets through: printable ASCII ids (event_id pattern ^[\x21-\x7e]+$)
ids = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)


@PROPERTY
@given(hotline=ids, event=ids)
def test_incident_id_is_deterministic_and_fits_the_api_path(hotline: str, event: str) -> None:
    incident_id = incident_id_for(hotline, event)
    assert incident_id == incident_id_for(hotline, event)
    # the pattern GET /v1/escalations/{incident_id} accepts
    assert re.fullmatch(r"inc_[a-z2-7]{24}", incident_id)


@PROPERTY
@given(hotline=ids, a=ids, b=ids)
def test_different_events_get_different_ids(hotline: str, a: str, b: str) -> None:
    if a != b:
        assert incident_id_for(hotline, a) != incident_id_for(hotline, b)
        assert incident_id_for(a, hotline) != incident_id_for(b, hotline)


def test_fingerprint_ignores_key_order_and_sees_values() -> None:
    a: dict[str, object] = {"severity": "high", "program_id": "riverbend", "summary": "x"}
    b: dict[str, object] = dict(reversed(list(a.items())))
    assert request_fingerprint(a) == request_fingerprint(b)
    assert request_fingerprint(a) != request_fingerprint({**a, "severity": "imminent"})


def test_status_rules() -> None:
    assert OPEN_STATUSES == {Status.TRIGGERED, Status.REFERRED}
    assert Status.REFERRED in ACCEPT_FROM  # a clinician may still accept after the referral
    assert REFER_FROM == {Status.TRIGGERED}  # the referral is made at most once
    assert Status.ACCEPTED not in PAGE_FROM and Status.RESOLVED not in PAGE_FROM


def test_seconds_between_never_negative() -> None:
    t = datetime(2026, 3, 8, 10, 0, tzinfo=UTC)
    assert seconds_between(t, t + timedelta(seconds=90)) == 90.0
    assert seconds_between(t + timedelta(seconds=90), t) == 0.0


def test_referral_hands_over_the_programs_local_resources() -> None:
    program = program_from_fields("riverbend", dict(COMPLETE))
    now = datetime(2026, 3, 8, 10, 0, tzinfo=UTC)
    referral = build_referral("inc_x", program, None, now)
    assert referral.as_dict() == {
        **program.resources.as_dict(),
        "source": referral.source,
        "stale": False,
        "missing": ["emergency_call_center"],  # this program item has none
        "made_at": "2026-03-08T10:00:00+00:00",
    }
    assert referral.source.startswith("program defaults: no participant record")
    assert referral.incident_id == "inc_x" and referral.made_at == now


# Numbers in webhook paths and forms


@PROPERTY
@given(st.integers(0, 9999))
def test_a_position_round_trips_through_its_url_text(position: int) -> None:
    assert page_position(str(position)) == position


@PROPERTY
@given(st.text(max_size=6))
def test_a_position_is_only_ever_the_text_we_write(text: str) -> None:
    position = page_position(text)
    assert position is None or str(position) == text


@pytest.mark.parametrize("text", [
    "²", "١", "٠", "１", "໑", "0²", "²1", "01", "00", "-1", "+1", " 1", "1 ", "1\n", "1_0",
    "0x1", "", "10000", "9" * 5000,
])
def test_a_malformed_position_is_none(text: str) -> None:
    """Regression (issue 10): ``isdigit`` took "²" (``int`` then raised: a 500) and "١"
    (``int`` read it as rung 1)."""
    assert page_position(text) is None


def test_whole_number_bounds_its_digits() -> None:
    assert whole_number("123456789", 9) == 123456789
    assert whole_number("1234567890", 9) is None
    assert whole_number(None, 9) is None
