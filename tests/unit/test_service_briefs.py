"""The secure link, end to end with in-memory ports: issued to the accepting clinician, it
opens the brief for them only, for that incident only, until it expires; a preview (what a
GET shows) holds nothing of the brief; every use, allowed or refused, is on the incident's
timeline as what it was, and nothing from the brief is."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from crisis_pager.domain.brief import ACCEPTED_LINK_TTL, Purpose, Refusal, token_hash
from crisis_pager.domain.brief_view import Brief, Preview
from crisis_pager.domain.incident import Status
from crisis_pager.domain.participant import Location, Participant, SafetyPlan, SupportPerson
from crisis_pager.domain.program import LocalResources
from crisis_pager.service import briefs
from crisis_pager.service.briefs import (
    Refused,
    issue_link,
    open_brief,
    preview_brief,
    record_from_brief,
)
from crisis_pager.service.followup import record_follow_up
from tests.fakes.participants import FakeBriefLinks, FakeParticipants
from tests.fakes.world import ANA, BEN, PHI, REF, World

BASE = "https://api.example/prod"
PLAN_TEXT = ("Pacing at night", "Call Rosa Diaz", "Lock the medicine cabinet")


class BriefWorld(World):
    def __init__(self) -> None:
        super().__init__()
        self.links = FakeBriefLinks()
        self.participants = FakeParticipants()
        self.participants.stored[REF] = {1: Participant(
            participant_id=REF, program_id="west-iop", version=1, updated_at=self.clock.now(),
            updated_by="admin", preferred_name="Jane",
            plan=SafetyPlan(warning_signs=(PLAN_TEXT[0],), help_contacts=(PLAN_TEXT[1],),
                            environment_safety=(PLAN_TEXT[2],)),
            support_persons=(SupportPerson("Rosa Diaz", "sister", "+15035550177", True),),
            location=Location("home, SE Portland", self.clock.now(), LocalResources(
                "+15035550111", "+15035550122", "Providence ED", "+15035550133",
                "+15035550144")))}

    def accepted(self, event_id: str = "evt-1") -> tuple[str, str]:
        iid, code = self.started(event_id)
        assert self.reply(ANA, f"A {code}").outcome == "accepted"
        return iid, code

    def issue(self, iid: str, clinician_id: str = "clin-ana", purpose: str = "accepted",
              **kw: Any) -> str:
        url = issue_link(self.links, BASE, iid, clinician_id, purpose, self.clock.now(), **kw)
        return url.rsplit("/", 1)[1]

    def read(self, iid: str, token: str, fmt: str = "html") -> Brief | Refused:
        return open_brief(iid, token, self.clock.now(), links=self.links,
                          incidents=self.incidents, timeline=self.timeline,
                          directory=self.directory, participants=self.participants, fmt=fmt)

    def preview(self, iid: str, token: str) -> Preview | Refused:
        return preview_brief(iid, token, self.clock.now(), links=self.links,
                             incidents=self.incidents, timeline=self.timeline,
                             directory=self.directory)

    def post(self, iid: str, token: str, action: str) -> Brief | Refused:
        return record_from_brief(
            iid, token, action, self.clock.now(), links=self.links, incidents=self.incidents,
            timeline=self.timeline, directory=self.directory, participants=self.participants,
            record=lambda i, c, a: record_follow_up(
                i, c, a, **self.ports_for(record_follow_up)).outcome)

    def brief_rows(self, iid: str) -> list[dict[str, Any]]:
        return [r for r in self.timeline.entries(iid) if r["kind"].startswith("brief_")]


@pytest.fixture
def world() -> BriefWorld:
    return BriefWorld()


# ---------------------------------------------------------------- issuing


def test_a_link_is_short_random_and_only_its_hash_is_stored(world: BriefWorld) -> None:
    iid, _ = world.accepted()
    url = issue_link(world.links, BASE, iid, "clin-ana", "accepted", world.clock.now())
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", "api.example")
    prefix, incident, token = parts.path.rsplit("/", 2)
    assert (prefix, incident) == ("/prod/brief", iid)
    assert len(token) == 24 and len(url) < 100, "it goes in an SMS"
    stored = world.links.items[token_hash(token)]  # (the acceptance's own link is there too)
    assert stored.token_hash == token_hash(token) and token not in repr(world.links.items)
    assert (stored.incident_id, stored.clinician_id, stored.purpose) == (
        iid, "clin-ana", Purpose.ACCEPTED)
    assert stored.expires_at - stored.issued_at == ACCEPTED_LINK_TTL == timedelta(hours=2)
    other = issue_link(world.links, BASE + "/", iid, "clin-ana", "accepted", world.clock.now())
    assert other != url and "//brief" not in other, "a new token each time"


def test_a_follow_up_link_expires_when_the_follow_up_is_due(world: BriefWorld) -> None:
    due = world.clock.now() + timedelta(hours=24)
    world.issue("inc_x", purpose="follow_up", expires_at=due)
    assert [link.expires_at for link in world.links.items.values()] == [due]
    with pytest.raises(ValueError, match="expires_at"):
        world.issue("inc_x", purpose="follow_up")
    with pytest.raises(ValueError):
        world.issue("inc_x", purpose="anything")


def test_a_link_is_never_overwritten(world: BriefWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = iter(["T" * 24, "T" * 24, "U" * 24])
    monkeypatch.setattr(briefs.secrets, "token_urlsafe", lambda n: next(tokens))
    first = world.issue("inc_x")
    second = world.issue("inc_x", clinician_id="clin-ben")
    assert (first, second) == ("T" * 24, "U" * 24)
    assert world.links.get(token_hash(first)).clinician_id == "clin-ana"  # type: ignore[union-attr]


# ---------------------------------------------------------------- opening


def test_the_accepting_clinician_opens_the_brief_and_it_is_recorded(world: BriefWorld) -> None:
    iid, code = world.accepted()
    token = world.issue(iid)
    world.clock.advance(60)
    brief = world.read(iid, token)
    assert isinstance(brief, Brief)
    assert (brief.code, brief.viewer_id, brief.viewer_name, brief.accepted_by) == (
        code, "clin-ana", "Ana", "Ana")
    assert brief.participant is not None and brief.participant.preferred_name == "Jane"
    assert brief.summary == PHI[0]
    assert isinstance(world.read(iid, token, fmt="json"), Brief)
    rows = world.brief_rows(iid)
    link_id = token_hash(token)[:12]
    assert [(r["kind"], r["clinician_id"], r["format"], r["purpose"], r["link"]) for r in rows] == [
        ("brief_opened", "clin-ana", "html", "accepted", link_id),
        ("brief_opened", "clin-ana", "json", "accepted", link_id)]


# ---------------------------------------------------------------- previewing (a GET)


def test_a_preview_shows_nothing_of_the_brief_and_is_recorded_as_a_preview(
    world: BriefWorld,
) -> None:
    iid, code = world.accepted()
    token = world.issue(iid)
    world.participants.fail = True  # a preview never reads the participant's record
    preview = world.preview(iid, token)
    assert preview == Preview(incident_id=iid, program_name="West IOP", code=code,
                              viewer_id="clin-ana", purpose=Purpose.ACCEPTED)
    for secret in (*PHI, *PLAN_TEXT, "Rosa", "SE Portland", token):
        assert secret not in repr(preview), secret
    (row,) = world.brief_rows(iid)
    assert (row["kind"], row["clinician_id"], row["format"], row["purpose"], row["link"]) == (
        "brief_previewed", "clin-ana", "html", "accepted", token_hash(token)[:12])
    assert "action" not in row and "reason" not in row
    world.participants.fail = False
    assert isinstance(world.read(iid, token), Brief), "the preview does not use the link up"
    assert [r["kind"] for r in world.brief_rows(iid)] == ["brief_previewed", "brief_opened"]


def test_a_preview_checks_the_link_as_opening_it_does(world: BriefWorld) -> None:
    first, _ = world.accepted("evt-1")
    second, _ = world.accepted("evt-2")
    bens = world.issue(first, clinician_id="clin-ben")
    anas = world.issue(first)
    cases = [(first, bens, Refusal.NOT_ENTITLED), (second, anas, Refusal.WRONG_INCIDENT),
             (first, "N" * 24, Refusal.UNKNOWN), (first, "short", Refusal.UNKNOWN)]
    for iid, token, reason in cases:
        refused = world.preview(iid, token)
        assert isinstance(refused, Refused) and refused.reason is reason, (iid, token)
    world.clock.advance(ACCEPTED_LINK_TTL.total_seconds())
    expired = world.preview(first, anas)
    assert isinstance(expired, Refused) and expired.reason is Refusal.EXPIRED
    assert [(r["kind"], r["reason"]) for r in world.brief_rows(first)] == [
        ("brief_refused", "not_entitled"), ("brief_refused", "wrong_incident"),
        ("brief_refused", "unknown_link"), ("brief_refused", "unknown_link"),
        ("brief_refused", "expired")]
    assert [r["format"] for r in world.brief_rows(first)] == ["html"] * 5
    assert [r["kind"] for r in world.brief_rows(second)] == ["brief_refused"]


def test_a_follow_up_link_previews_too(world: BriefWorld) -> None:
    iid, code = world.accepted()
    follow_up_due(world, iid)
    token = world.issue(iid, purpose="follow_up",
                        expires_at=world.clock.now() + timedelta(hours=24))
    preview = world.preview(iid, token)
    assert isinstance(preview, Preview) and preview.purpose is Purpose.FOLLOW_UP
    assert world.incidents.items[iid].follow_up_attempts == ()
    (row,) = world.brief_rows(iid)
    assert (row["kind"], row["purpose"]) == ("brief_previewed", "follow_up")


def test_another_clinicians_link_is_refused(world: BriefWorld) -> None:
    iid, _ = world.accepted()
    token = world.issue(iid, clinician_id="clin-ben")  # Ben was paged, but Ana accepted
    refused = world.read(iid, token)
    assert isinstance(refused, Refused) and refused.reason is Refusal.NOT_ENTITLED
    assert refused.recorded_on == (iid,) and refused.clinician_id == "clin-ben"
    (row,) = world.brief_rows(iid)
    assert (row["kind"], row["reason"], row["clinician_id"]) == (
        "brief_refused", "not_entitled", "clin-ben")


def test_another_incidents_link_is_refused_and_recorded_on_both(world: BriefWorld) -> None:
    first, _ = world.accepted("evt-1")
    second, _ = world.accepted("evt-2")
    token = world.issue(first)
    refused = world.read(second, token)
    assert isinstance(refused, Refused) and refused.reason is Refusal.WRONG_INCIDENT
    assert refused.recorded_on == (first, second)
    for iid in (first, second):
        (row,) = world.brief_rows(iid)
        assert (row["kind"], row["reason"]) == ("brief_refused", "wrong_incident")
    assert isinstance(world.read(first, token), Brief), "still opens its own incident"


def test_an_expired_link_is_refused(world: BriefWorld) -> None:
    iid, _ = world.accepted()
    token = world.issue(iid)
    world.clock.advance(ACCEPTED_LINK_TTL.total_seconds() - 1)
    assert isinstance(world.read(iid, token), Brief)
    world.clock.advance(1)
    refused = world.read(iid, token)
    assert isinstance(refused, Refused) and refused.reason is Refusal.EXPIRED
    assert [r["kind"] for r in world.brief_rows(iid)] == ["brief_opened", "brief_refused"]
    assert world.brief_rows(iid)[-1]["reason"] == "expired"


def test_an_unknown_or_malformed_token_is_refused_without_a_lookup_when_malformed(
    world: BriefWorld, monkeypatch: pytest.MonkeyPatch,
) -> None:
    iid, _ = world.accepted()
    refused = world.read(iid, "N" * 24)
    assert isinstance(refused, Refused) and refused.reason is Refusal.UNKNOWN
    assert refused.recorded_on == (iid,) and refused.link_id is None
    looked_up: list[str] = []
    monkeypatch.setattr(world.links, "get", lambda h: looked_up.append(h))
    for token in ("short", "x" * 200, "../../etc", "a b" * 10):
        assert isinstance(world.read(iid, token), Refused)
    assert looked_up == []
    nowhere = world.read("inc_" + "z" * 24, "N" * 24)
    assert isinstance(nowhere, Refused) and nowhere.recorded_on == ()
    assert [r["reason"] for r in world.brief_rows(iid)] == ["unknown_link"] * 5


def test_a_link_stops_working_when_the_clinician_is_no_longer_entitled(world: BriefWorld) -> None:
    iid, _ = world.accepted()
    token = world.issue(iid)
    incident = world.incidents.items[iid]
    world.incidents.items[iid] = dataclasses.replace(incident, accepted_by="clin-caro")
    refused = world.read(iid, token)
    assert isinstance(refused, Refused) and refused.reason is Refusal.NOT_ENTITLED


def test_the_resolving_clinician_still_reads_it_until_it_expires(world: BriefWorld) -> None:
    iid, code = world.accepted()
    token = world.issue(iid)
    world.reply(ANA, f"R {code}")
    assert world.status_of(iid) is Status.RESOLVED
    assert isinstance(world.read(iid, token), Brief)


def test_a_missing_or_unreadable_participant_still_shows_the_incident(world: BriefWorld) -> None:
    iid, _ = world.accepted()
    token = world.issue(iid)
    world.participants.stored.clear()
    missing = world.read(iid, token)
    assert isinstance(missing, Brief) and missing.participant is None
    assert "No participant record" in (missing.participant_problem or "")
    world.participants.fail = True
    down = world.read(iid, token)
    assert isinstance(down, Brief) and "right now" in (down.participant_problem or "")


def test_a_participant_of_another_program_is_not_shown(world: BriefWorld) -> None:
    iid, _ = world.accepted()
    token = world.issue(iid)
    p = world.participants.stored[REF][1]
    world.participants.stored[REF] = {2: dataclasses.replace(p, program_id="east-iop",
                                                             version=2)}
    brief = world.read(iid, token)
    assert isinstance(brief, Brief) and brief.participant is None


def test_nothing_from_the_brief_reaches_the_timeline_or_any_message(world: BriefWorld) -> None:
    iid, _ = world.accepted()
    token = world.issue(iid)
    world.preview(iid, token)
    world.read(iid, token)
    world.read(iid, token, fmt="json")
    world.read(iid, "N" * 24)
    world.preview(iid, "N" * 24)
    said = world.everything_said()
    for secret in (*PHI, *PLAN_TEXT, "Rosa", "SE Portland", token):
        assert secret not in said, secret


# ---------------------------------------------------------------- follow-up from the page


def follow_up_due(world: BriefWorld, iid: str) -> None:
    incident = world.incidents.items[iid]
    world.incidents.items[iid] = dataclasses.replace(
        incident, status=Status.RESOLVED, resolved_by="clin-ana",
        resolved_at=world.clock.now(), follow_up_due_at=world.clock.now() + timedelta(hours=24),
        follow_up_owner="clin-ana")


def test_the_owner_records_attempts_and_closes_the_follow_up(world: BriefWorld) -> None:
    iid, _ = world.accepted()
    follow_up_due(world, iid)
    token = world.issue(iid, purpose="follow_up",
                        expires_at=world.clock.now() + timedelta(hours=24))
    first = world.post(iid, token, "attempt")
    assert isinstance(first, Brief) and first.notice == "Contact attempt recorded."
    assert first.follow_up is not None and len(first.follow_up.attempts) == 1
    done = world.post(iid, token, "done")
    assert isinstance(done, Brief) and done.notice and "done" in done.notice
    assert done.follow_up is not None and done.follow_up.state == "done"
    again = world.post(iid, token, "done")
    assert isinstance(again, Brief) and again.notice and "already" in again.notice
    kinds = [r["kind"] for r in world.timeline.entries(iid)]
    assert kinds.count("follow_up_attempt") == 1 and kinds.count("follow_up_done") == 1
    posts = [r for r in world.brief_rows(iid) if "action" in r]
    assert [(r["action"], r["outcome"]) for r in posts] == [
        ("attempt", "attempt_recorded"), ("done", "done"), ("done", "already_done")]


def test_a_follow_up_cannot_be_recorded_through_a_refused_link(world: BriefWorld) -> None:
    iid, _ = world.accepted()
    follow_up_due(world, iid)
    token = world.issue(iid, clinician_id="clin-ben", purpose="follow_up",
                        expires_at=world.clock.now() + timedelta(hours=24))
    refused = world.post(iid, token, "done")
    assert isinstance(refused, Refused) and refused.reason is Refusal.NOT_ENTITLED
    assert world.incidents.items[iid].follow_up_done_at is None
    with pytest.raises(ValueError):
        world.post(iid, token, "delete")
    assert BEN  # Ben's phone was paged, but the follow-up is Ana's
