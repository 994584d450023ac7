"""Saving participants: every save a new version, none ever overwritten; an edit or a
location update copies the rest; a lost race is retried or refused, never lost."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crisis_pager.domain.errors import InvalidItem
from crisis_pager.domain.participant import ParticipantConflict, participant_from_fields
from crisis_pager.service.participants import (
    confirm_location,
    current_plan,
    save_participant,
    update_participant,
)
from tests.fakes.clock import FakeClock
from tests.fakes.participants import FakeParticipants
from tests.unit.participant_data import LOCATION, PID, document, location, stored


@pytest.fixture
def store() -> FakeParticipants:
    return FakeParticipants()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_saves_are_new_versions_and_earlier_ones_stay(store: FakeParticipants,
                                                      clock: FakeClock) -> None:
    first = save_participant(document(), by="kim", participants=store, clock=clock)
    clock.advance(60)
    second = save_participant(document(preferred_name="JQ"), by="lee", participants=store,
                              clock=clock)
    assert (first.version, second.version) == (1, 2)
    assert store.stored[PID][1] == first, "version 1 is untouched"
    assert store.current(PID) == second and second.updated_by == "lee"
    assert [p.version for p in store.history(PID)] == [2, 1]


def test_an_invalid_document_saves_nothing(store: FakeParticipants, clock: FakeClock) -> None:
    with pytest.raises(InvalidItem) as caught:
        save_participant(document(support_persons=[{"name": "A"}]), by="kim",
                         participants=store, clock=clock)
    assert caught.value.field == "support_persons[0].relationship"
    assert store.stored == {}


def test_a_concurrent_save_is_retried_as_the_next_version(store: FakeParticipants,
                                                          clock: FakeClock) -> None:
    save_participant(document(), by="kim", participants=store, clock=clock)

    def someone_else_saves() -> None:
        other = participant_from_fields(PID, stored(version=2, preferred_name="Other"))
        assert store.add_version(other)

    store.before_add = someone_else_saves
    mine = save_participant(document(preferred_name="Mine"), by="kim", participants=store,
                            clock=clock)
    assert mine.version == 3
    assert [p.preferred_name for p in store.history(PID)] == ["Mine", "Other",
                                                              "Jordan Quillfeather"]


def test_a_location_update_racing_an_edit_keeps_both(store: FakeParticipants,
                                                     clock: FakeClock) -> None:
    save_participant(document(), by="kim", participants=store, clock=clock)

    def admin_edits_the_plan() -> None:
        update_participant(PID, {"preferred_name": "JQ"}, by="kim", participants=store,
                           clock=clock)

    store.before_add = admin_edits_the_plan
    moved = confirm_location(PID, location(clock.now(), description="at the library"),
                             by="session", participants=store, clock=clock)
    assert moved.version == 3
    assert moved.preferred_name == "JQ", "rebuilt on top of the version that won"
    assert moved.location is not None and moved.location.description == "at the library"


def test_naming_the_edited_version_gives_a_conflict_instead(store: FakeParticipants,
                                                            clock: FakeClock) -> None:
    save_participant(document(), by="kim", participants=store, clock=clock)
    save_participant(document(preferred_name="JQ"), by="lee", participants=store, clock=clock)
    with pytest.raises(ParticipantConflict, match="at version 2, not 1"):
        save_participant({**document(), "version": 1}, by="kim", participants=store,
                         clock=clock)
    assert store.latest_version(PID) == 2

    def someone_else_saves() -> None:
        store.add_version(participant_from_fields(PID, stored(version=3)))

    store.before_add = someone_else_saves
    with pytest.raises(ParticipantConflict, match="took version 3"):
        update_participant(PID, {"preferred_name": "Z"}, by="kim", participants=store,
                           clock=clock, expected_version=2)


def test_a_location_update_copies_the_rest(store: FakeParticipants, clock: FakeClock) -> None:
    first = save_participant(document(), by="kim", participants=store, clock=clock)
    clock.advance(3600)
    moved = confirm_location(PID, location(clock.now(), description="at work"),
                             by="session", participants=store, clock=clock)
    assert moved.version == 2 and moved.updated_by == "session"
    assert (moved.plan, moved.support_persons, moved.preferred_name) == (
        first.plan, first.support_persons, first.preferred_name)
    assert moved.location is not None and moved.location.confirmed_at == clock.now()
    with pytest.raises(InvalidItem) as caught:
        confirm_location(PID, {**LOCATION, "emergency_call_center": "911"}, by="s",
                         participants=store, clock=clock)
    assert caught.value.field == "location.emergency_call_center"
    with pytest.raises(LookupError):
        confirm_location("ptc-nobody", LOCATION, by="s", participants=store, clock=clock)


def test_a_save_never_moves_a_participant_to_another_program(store: FakeParticipants,
                                                             clock: FakeClock) -> None:
    save_participant(document(), by="kim", participants=store, clock=clock)
    with pytest.raises(ParticipantConflict, match="another program"):
        save_participant(document(program_id="east-iop"), by="kim", participants=store,
                         clock=clock)


def test_a_whole_record_replaces_a_malformed_current_version(store: FakeParticipants,
                                                             clock: FakeClock) -> None:
    store.stored[PID] = {1: InvalidItem("participants", f"{PID} / v#000001", "location", "bad")}
    with pytest.raises(InvalidItem):
        confirm_location(PID, LOCATION, by="s", participants=store, clock=clock)
    fixed = save_participant(document(), by="kim", participants=store, clock=clock)
    assert fixed.version == 2 and current_plan(PID, "west-iop", participants=store) == fixed


def test_current_plan_treats_another_programs_participant_as_not_found(
    store: FakeParticipants, clock: FakeClock,
) -> None:
    saved = save_participant(document(), by="kim", participants=store, clock=clock)
    assert current_plan(PID, "west-iop", participants=store) == saved
    assert current_plan(PID, "east-iop", participants=store) is None
    assert current_plan("ptc-nobody", "west-iop", participants=store) is None
    assert current_plan("not an id!", "west-iop", participants=store) is None


def test_versions_are_stamped_with_the_clock(store: FakeParticipants, clock: FakeClock) -> None:
    clock.advance(timedelta(days=1).total_seconds())
    saved = save_participant(document(), by="kim", participants=store, clock=clock)
    assert saved.updated_at == clock.now()
