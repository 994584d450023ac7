"""The OptOuts, Timeline, BriefLinks and Participants ports."""

from __future__ import annotations

from datetime import timedelta

from crisis_pager.domain.brief import BriefLink, Purpose, token_hash
from crisis_pager.domain.participant import participant_from_fields
from crisis_pager.domain.referral import EmergencyDisclosure
from tests.contract.builders import ANA, T0
from tests.contract.conftest import Ports
from tests.fakes.clock import T0 as SAVED  # the participant data's own instant
from tests.unit.participant_data import PID, stored


def test_a_phone_opts_out_once_and_back_in_once(ports: Ports) -> None:
    opt_outs = ports.opt_outs
    assert opt_outs.opted_out(ANA) is False
    assert opt_outs.opt_in(ANA) is False
    assert opt_outs.opt_out(ANA, T0, "STOP") is True
    assert opt_outs.opt_out(ANA, T0, "Twilio error 21610") is False
    assert opt_outs.opted_out(ANA) is True
    assert opt_outs.opt_in(ANA) is True
    assert opt_outs.opt_in(ANA) is False
    assert opt_outs.opted_out(ANA) is False


def test_a_timeline_reads_back_in_time_order_without_empty_details(ports: Ports) -> None:
    timeline = ports.timeline
    timeline.append("inc_a", T0 + timedelta(seconds=2), "paged", position=0, reason=None)
    timeline.append("inc_a", T0, "opened", severity="high")
    timeline.append("inc_b", T0, "opened", severity="low")
    entries = timeline.entries("inc_a")
    assert [(e["kind"], e["at"]) for e in entries] == [
        ("opened", T0.isoformat()), ("paged", (T0 + timedelta(seconds=2)).isoformat())]
    assert entries[0]["severity"] == "high"
    assert entries[1]["position"] == 0 and "reason" not in entries[1]
    assert timeline.entries("inc_missing") == []


def test_a_brief_link_is_stored_once_by_its_hash(ports: Ports) -> None:
    links = ports.links
    link = BriefLink(token_hash=token_hash("T" * 24), incident_id="inc_a",
                     clinician_id="clin-ana", purpose=Purpose.ACCEPTED, issued_at=T0,
                     expires_at=T0 + timedelta(hours=2))
    assert links.put(link) is True
    assert links.put(link) is False
    assert links.get(link.token_hash) == link
    assert links.get(token_hash("U" * 24)) is None


def test_participant_versions_are_added_once_and_read_newest_first(ports: Ports) -> None:
    people = ports.participants
    assert people.current(PID) is None and people.latest_version(PID) == 0
    first = participant_from_fields(PID, stored(1))
    second = participant_from_fields(PID, stored(2, at=SAVED + timedelta(hours=1)))
    assert people.add_version(first) is True
    assert people.add_version(first) is False  # a concurrent save won that version
    assert people.add_version(second) is True
    assert people.current(PID) == second
    assert people.latest_version(PID) == 2
    assert [p.version for p in people.history(PID)] == [2, 1]


def test_a_notice_is_claimed_once_per_incident_and_key(ports: Ports) -> None:
    people = ports.participants
    assert people.claim_notice("inc_a", "support#abc", T0) is True
    assert people.claim_notice("inc_a", "support#abc", T0) is False
    assert people.claim_notice("inc_a", "support#def", T0) is True
    assert people.claim_notice("inc_b", "support#abc", T0) is True
    disclosure = EmergencyDisclosure(
        incident_id="inc_a", at=T0, recipient="West hotline", recipient_affiliation="988",
        recipient_id="hl-west", disclosed_by="crisis-pager", nature_of_emergency="imminent risk",
        information_disclosed=("location",), severity="imminent", minutes_without_acceptance=10)
    assert people.record_disclosure(PID, disclosure) is True
