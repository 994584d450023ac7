"""The referral rung with the participant's record: local resources from a fresh location,
the fallback that says why, the support persons' one PHI-free text, and the disclosure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from crisis_pager.domain.errors import CallbackError, InvalidItem, SmsError
from crisis_pager.domain.incident import Status
from crisis_pager.domain.participant import participant_from_fields
from crisis_pager.service.referral import NOTICE_WINDOW, notify_hotline, refer
from tests.fakes.directory import PROGRAM_FIELDS
from tests.fakes.participants import FakeParticipants
from tests.fakes.world import REF, World
from tests.unit.participant_data import (
    LOCATION,
    PRIVATE,
    SUPPORT_CONSENTING,
    SUPPORT_NOT_CONSENTING,
    location,
    stored,
)


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def store() -> FakeParticipants:
    return FakeParticipants()


def put(store: FakeParticipants, world: World, confirmed_ago: timedelta | None = None,
        **overrides: Any) -> None:
    now = world.clock.now()
    fields = stored(at=now, participant_id=REF, **overrides)
    if confirmed_ago is not None:
        fields["location"] = location(now - confirmed_ago)
    store.stored.setdefault(REF, {})[len(store.stored.get(REF, {})) + 1] = (
        participant_from_fields(REF, {**fields, "version": len(store.stored.get(REF, {})) + 1}))


def do_refer(world: World, store: FakeParticipants | None, iid: str) -> Any:
    return refer(iid, 3, incidents=world.incidents, timeline=world.timeline,
                 directory=world.directory, alerts=world.alerts, clock=world.clock,
                 participants=store, sms=world.sms)


def entries(world: World, iid: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in world.timeline.entries(iid) if e["kind"] == kind]


def assert_private_kept(world: World) -> None:
    """Nothing of the participant's record in an SMS's text, the timeline, an alert or the
    ladder's input (the referral's payload to the hotline is the one place it goes)."""
    said = repr([[m.body for m in world.sms.messages], world.timeline.rows,
                 world.alerts.published, world.ladder.started])
    for secret in PRIVATE:
        assert secret not in said, f"{secret!r} leaked"
    world.assert_no_phi()


def test_a_fresh_location_refers_with_the_participants_local_resources(
    world: World, store: FakeParticipants,
) -> None:
    put(store, world, timedelta(hours=2))
    iid = world.open().incident.incident_id
    assert do_refer(world, store, iid).referred
    referral = world.incidents.get(iid).referral  # type: ignore[union-attr]
    assert referral is not None
    assert referral["crisis_line"] == LOCATION["crisis_line"]
    assert referral["emergency_call_center"] == LOCATION["emergency_call_center"]
    assert referral["location_description"] == LOCATION["description"]
    assert referral["stale"] is False
    (entry,) = entries(world, iid, "referred")
    assert entry["source"] == "participant's last confirmed location"
    assert entry["crisis_line"] == LOCATION["crisis_line"] and entry["location_used"] is True
    assert LOCATION["description"] not in repr(entry)
    assert_private_kept(world)


def test_a_stale_location_refers_with_the_program_defaults_and_says_why(
    world: World, store: FakeParticipants,
) -> None:
    put(store, world, timedelta(days=3))
    iid = world.open().incident.incident_id
    assert do_refer(world, store, iid).referred
    referral = world.incidents.get(iid).referral  # type: ignore[union-attr]
    assert referral is not None and referral["crisis_line"] == PROGRAM_FIELDS["crisis_line"]
    assert referral["stale"] is True and "location_description" not in referral
    assert "last confirmed 3 days ago" in referral["source"]
    (entry,) = entries(world, iid, "referred")
    assert entry["stale"] is True and "3 days ago" in entry["source"]
    assert "3 days ago" in world.alerts.published[-1][2], "the admins' alert says why too"


@pytest.mark.parametrize(("setup", "reason"), [
    ("none", "no participant record on file for this program"),
    ("other program", "no participant record on file for this program"),
    ("malformed", "the participant's record is malformed (field 'location.crisis_line')"),
    ("outage", "the participant's record could not be read (RuntimeError)"),
    ("no store", "participant records are not available to this step"),
])
def test_a_referral_is_never_blocked_by_the_participants_record(
    world: World, store: FakeParticipants, setup: str, reason: str,
) -> None:
    if setup == "other program":
        put(store, world, timedelta(hours=1), program_id="east-iop")
    elif setup == "malformed":
        store.stored[REF] = {1: InvalidItem("participants", f"{REF} / v#000001",
                                            "location.crisis_line", "is not an E.164 number")}
    elif setup == "outage":
        store.fail = True
    iid = world.open().incident.incident_id
    result = do_refer(world, None if setup == "no store" else store, iid)
    assert result.referred
    referral = world.incidents.get(iid).referral  # type: ignore[union-attr]
    assert referral is not None and referral["crisis_line"] == PROGRAM_FIELDS["crisis_line"]
    assert referral["source"].startswith(f"program defaults: {reason}")
    assert world.sms.messages == []
    assert REF not in repr(world.timeline.rows)


def test_consenting_support_persons_get_one_phi_free_text(world: World,
                                                          store: FakeParticipants) -> None:
    put(store, world, timedelta(hours=1))
    iid = world.open().incident.incident_id
    assert do_refer(world, store, iid).support_notified == 1
    (sms,) = world.sms.messages
    assert sms.to == SUPPORT_CONSENTING["phone"], "never the one without consent"
    assert "+1 503-555-0100" in sms.body, "the program's hotline number to call"
    assert "West IOP" not in sms.body and "IOP" not in sms.body
    assert sms.page is None, "no status callbacks about a support text"
    (entry,) = entries(world, iid, "support_person_notified")
    assert entry["support_index"] == 0 and entry["participant_version"] == 1
    for private in (SUPPORT_CONSENTING["name"], SUPPORT_CONSENTING["phone"],
                    SUPPORT_NOT_CONSENTING["phone"]):
        assert private not in repr(world.timeline.rows)
    assert_private_kept(world)


def test_a_retried_referral_finishes_the_texts_but_never_sends_twice(
    world: World, store: FakeParticipants,
) -> None:
    put(store, world, timedelta(hours=1), support_persons=[
        SUPPORT_CONSENTING, {**SUPPORT_CONSENTING, "relationship": "partner",
                             "phone": "+15035550179"}])
    iid = world.open().incident.incident_id
    world.sms.before_attempt = None
    calls = {"n": 0}

    def crash_after_first_text() -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("the Lambda dies mid-way")  # not an Exception: escapes

    world.sms.before_attempt = crash_after_first_text
    with pytest.raises(KeyboardInterrupt):
        do_refer(world, store, iid)
    world.sms.before_attempt = None
    assert world.incidents.get(iid).status is Status.REFERRED  # type: ignore[union-attr]
    assert len(world.sms.messages) == 1
    # Step Functions retries the step: the first text is not sent again. The second one
    # was claimed before the crash, so it is not sent either (at most once per phone).
    retry = do_refer(world, store, iid)
    assert not retry.referred and retry.support_notified == 0
    assert len(world.sms.messages) == 1
    assert entries(world, iid, "referred").__len__() == 1


def test_a_retry_sends_what_a_crash_left_unclaimed(world: World,
                                                   store: FakeParticipants) -> None:
    put(store, world, timedelta(hours=1))
    iid = world.open().incident.incident_id
    refer(iid, 3, incidents=world.incidents, timeline=world.timeline, directory=world.directory,
          alerts=world.alerts, clock=world.clock, participants=store, sms=None)  # died here
    assert world.sms.messages == []
    assert do_refer(world, store, iid).support_notified == 1
    assert do_refer(world, store, iid).support_notified == 0
    assert len(world.sms.messages) == 1
    world.clock.advance(NOTICE_WINDOW.total_seconds() + 1)
    store.notices.clear()
    assert do_refer(world, store, iid).support_notified == 0, "never hours later"


def test_a_failed_text_never_fails_the_referral(world: World, store: FakeParticipants) -> None:
    put(store, world, timedelta(hours=1))
    iid = world.open().incident.incident_id
    world.sms.fail_with = SmsError("Twilio refused the SMS: +15035550177 is unreachable", 21211)
    result = do_refer(world, store, iid)
    assert result.referred and result.support_notified == 0
    (entry,) = entries(world, iid, "support_person_not_notified")
    assert entry["error_code"] == 21211 and entry["support_index"] == 0
    assert SUPPORT_CONSENTING["phone"] not in repr(entry), "the provider's text is not kept"


def test_a_broken_notice_store_never_fails_the_referral(world: World,
                                                        store: FakeParticipants) -> None:
    put(store, world, timedelta(hours=1))
    iid = world.open().incident.incident_id

    def broken(*_: Any) -> bool:
        raise RuntimeError("DynamoDB is unavailable")

    store.claim_notice = broken  # type: ignore[method-assign]
    assert do_refer(world, store, iid).referred
    assert world.sms.messages == []
    assert entries(world, iid, "support_person_not_notified")[0]["reason"].startswith(
        "unexpected error")


@pytest.mark.parametrize("breakage", ["unreadable item", "malformed hotline number"])
def test_without_the_programs_hotline_number_support_persons_are_not_texted(
    world: World, store: FakeParticipants, breakage: str,
) -> None:
    """Their one text asks them to call the program's number: without it, none is sent."""
    put(store, world, timedelta(hours=1))
    iid = world.open().incident.incident_id
    if breakage == "unreadable item":
        world.directory.broken.add("west-iop")
    else:
        world.directory.programs["west-iop"]["hotline_number"] = "5550100"
    result = do_refer(world, store, iid)
    assert result.referred, "the participant's fresh location still refers"
    referral = world.incidents.get(iid).referral  # type: ignore[union-attr]
    assert referral is not None and referral["crisis_line"] == LOCATION["crisis_line"]
    assert world.sms.messages == []
    assert entries(world, iid, "support_persons_not_notified")


def notify(world: World, store: FakeParticipants | None, iid: str) -> str:
    return notify_hotline(iid, "referred", incidents=world.incidents, timeline=world.timeline,
                          directory=world.directory, hotline=world.hotline, clock=world.clock,
                          participants=store)


def test_delivering_the_referral_records_the_emergency_disclosure(
    world: World, store: FakeParticipants,
) -> None:
    put(store, world, timedelta(hours=1))
    iid = world.open().incident.incident_id
    world.clock.advance(15 * 60)
    do_refer(world, store, iid)
    assert notify(world, store, iid) == "sent"
    (_, payload), = world.hotline.posted
    assert payload["referral"]["location_description"] == LOCATION["description"]
    (entry,) = entries(world, iid, "emergency_disclosure")
    assert entry["recipient"] == "Metro Crisis Line"
    assert entry["recipient_affiliation"] == "988 Lifeline crisis center"
    assert entry["disclosed_by"].startswith("West IOP (west-iop), via crisis-pager")
    assert entry["disclosed_at"] == world.clock.now().isoformat()
    assert "no on-call clinician accepted within 15 minutes" in entry["nature_of_emergency"]
    assert entry["nature_of_emergency"].startswith("high crisis")
    assert {"referral.location_description", "referral.crisis_line", "code"} <= set(
        entry["information_disclosed"])
    assert LOCATION["description"] not in repr(world.timeline.rows)
    ((participant_id, disclosure),) = store.disclosures
    assert participant_id == REF and disclosure.incident_id == iid
    assert disclosure.as_entry() == {k: v for k, v in entry.items()
                                     if k not in ("incident_id", "at", "kind")}


def test_no_disclosure_is_recorded_when_the_callback_fails(world: World,
                                                           store: FakeParticipants) -> None:
    put(store, world, timedelta(hours=1))
    iid = world.open().incident.incident_id
    do_refer(world, store, iid)
    world.hotline.fail = True
    with pytest.raises(CallbackError):
        notify(world, store, iid)
    assert entries(world, iid, "emergency_disclosure") == [] and store.disclosures == []


def test_without_a_participant_record_the_disclosure_is_on_the_timeline_only(
    world: World, store: FakeParticipants,
) -> None:
    iid = world.open().incident.incident_id
    do_refer(world, store, iid)
    notify(world, store, iid)
    assert len(entries(world, iid, "emergency_disclosure")) == 1
    assert store.disclosures == []


def test_accepted_callbacks_are_not_disclosures(world: World, store: FakeParticipants) -> None:
    iid, code = world.started()
    world.reply("+15035550101", f"A {code}")
    notify_hotline(iid, "accepted", incidents=world.incidents, timeline=world.timeline,
                   directory=world.directory, hotline=world.hotline, clock=world.clock,
                   participants=store)
    assert entries(world, iid, "emergency_disclosure") == []


def test_a_refused_callback_url_is_on_the_timeline_and_not_retried(
    world: World, store: FakeParticipants,
) -> None:
    """Issue 10: a URL or address refused at send time is a callback failure on record
    (with its code), and the ladder goes on: no retry of what would be refused again."""
    iid = world.open().incident.incident_id
    do_refer(world, store, iid)
    world.hotline.fail = CallbackError("callback refused: the callback_url's host resolves "
                                       "to an address that is not allowed (private)",
                                       "address_not_allowed", permanent=True)
    assert notify(world, store, iid) == "address_not_allowed"
    (failed,) = entries(world, iid, "callback_failed")
    assert failed["code"] == "address_not_allowed" and "private" in failed["reason"]
    assert entries(world, iid, "callback_sent") == []
    assert entries(world, iid, "emergency_disclosure") == [], "nothing was disclosed"


def test_a_transient_callback_failure_is_recorded_with_its_code_and_retried(
    world: World, store: FakeParticipants,
) -> None:
    iid = world.open().incident.incident_id
    do_refer(world, store, iid)
    world.hotline.fail = True
    with pytest.raises(CallbackError):
        notify(world, store, iid)
    (failed,) = entries(world, iid, "callback_failed")
    assert failed["code"] == "callback_failed" and "503" in failed["reason"]


@pytest.mark.parametrize("error", [ValueError("URL can't contain control characters"),
                                   TypeError("boom"), KeyError("secret")])
def test_any_other_callback_failure_is_recorded_and_retried(
    world: World, store: FakeParticipants, error: Exception,
) -> None:
    """Regression (issue 10): an exception other than CallbackError (http.client's
    InvalidURL) escaped with no callback_failed on the timeline."""
    iid = world.open().incident.incident_id
    do_refer(world, store, iid)
    world.hotline.fail = error
    with pytest.raises(CallbackError, match=type(error).__name__):
        notify(world, store, iid)
    (failed,) = entries(world, iid, "callback_failed")
    assert failed["reason"] == f"unexpected {type(error).__name__}"
    assert "control characters" not in str(failed), "its text may quote the URL"
