"""The clinician's brief, pure: who a link is for, when it works, and the page and JSON it
serves. The page escapes every value, links nowhere but tel:, and shows every section."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest

from crisis_pager.domain import brief as b
from crisis_pager.domain import brief_view as v
from crisis_pager.domain.brief import (
    ACCEPTED_LINK_TTL,
    BriefLink,
    Purpose,
    Refusal,
    entitled,
    link_expiry,
    refusal,
    token_hash,
    well_formed,
)
from crisis_pager.domain.brief_page import (
    OPEN_LABEL,
    PAGE_HEADERS,
    REFUSED_TEXT,
    render_brief,
    render_interstitial,
    render_refused,
)
from crisis_pager.domain.brief_view import brief_json, build_brief
from crisis_pager.domain.incident import Incident, Severity, Status
from crisis_pager.domain.participant import (
    Location,
    Participant,
    SafetyPlan,
    SupportPerson,
)
from crisis_pager.domain.program import LocalResources
from tests.unit.oracles import bidi_controls

T0 = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
IID = "inc_" + "a" * 24
OTHER = "inc_" + "b" * 24
HOSTILE = '<script>alert(1)</script>"\'><img src=x onerror=alert(2)>&amp;'


def incident(**changes: Any) -> Incident:
    fields: dict[str, Any] = dict(
        incident_id=IID, hotline_id="hl", event_id="evt-1", program_id="west-iop",
        severity=Severity.HIGH, participant_ref="p-42", summary="Caller reports a plan",
        code="417", status=Status.ACCEPTED, opened_at=T0, fingerprint="f" * 64,
        accepted_by="clin-ana", accepted_at=T0 + timedelta(minutes=6),
        screener={"1": True, "2": True, "3": True, "4": True, "5": False, "6": False},
    )
    fields.update(changes)
    return Incident(**fields)


def link(**changes: Any) -> BriefLink:
    fields: dict[str, Any] = dict(
        token_hash=token_hash("tok" * 8), incident_id=IID, clinician_id="clin-ana",
        purpose=Purpose.ACCEPTED, issued_at=T0, expires_at=T0 + ACCEPTED_LINK_TTL)
    fields.update(changes)
    return BriefLink(**fields)


def resources(**changes: str) -> LocalResources:
    fields = dict(crisis_line="+15035550111", mobile_crisis_team="+15035550122",
                  emergency_department="Providence ED", emergency_department_phone="+15035550133",
                  emergency_call_center="+15035550144")
    fields.update(changes)
    return LocalResources(**fields)


def participant(text: str | None = None) -> Participant:
    """Every free-text field set to ``text`` (hostile), or to recognisable content."""
    def t(label: str) -> str:
        return text if text is not None else label

    plan = SafetyPlan(**{field: (t(f"{field} entry"),) for field, _ in SafetyPlan.SECTIONS})
    return Participant(
        participant_id="p-42", program_id="west-iop", version=3, updated_at=T0 - timedelta(days=2),
        updated_by="admin", preferred_name=t("Jo"), plan=plan,
        support_persons=(SupportPerson(t("Rosa Diaz"), t("sister"), "+15035550177", True),
                         SupportPerson(t("Sam"), t("sponsor"), t("+15035550188"), False)),
        location=Location(t("home, SE Portland"), T0 - timedelta(minutes=35),
                          resources(emergency_department=t("Providence ED"))),
    )


def view(inc: Incident | None = None, p: Participant | None = None, **kw: Any) -> v.Brief:
    return build_brief(inc or incident(), kw.pop("lnk", link()), program_name="West IOP",
                       names={"clin-ana": "Ana Alvarez"}, participant=p,
                       participant_problem=kw.pop("problem", None), now=T0 + timedelta(minutes=10),
                       **kw)


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Tags:
    parser = Tags()
    parser.feed(page)
    return parser


# ---------------------------------------------------------------- the link


def test_a_token_is_stored_as_its_sha256() -> None:
    assert token_hash("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    assert link().link_id == link().token_hash[:12]


@pytest.mark.parametrize(("incident_id", "token", "ok"), [
    (IID, "A" * 24, True),
    (IID, "a-b_c" * 5, True),
    (IID, "short", False),
    (IID, "a" * 65, False),
    (IID, "a" * 23 + "/", False),
    ("inc_" + "a" * 23, "A" * 24, False),
    ("../" + IID, "A" * 24, False),
])
def test_only_well_formed_paths_are_looked_up(incident_id: str, token: str, ok: bool) -> None:
    assert well_formed(incident_id, token) is ok


def test_an_acceptance_link_lasts_two_hours_and_a_follow_up_link_until_it_is_due() -> None:
    assert ACCEPTED_LINK_TTL == timedelta(hours=2)
    assert link_expiry(Purpose.ACCEPTED, T0, None) == T0 + timedelta(hours=2)
    due = T0 + timedelta(hours=24)
    assert link_expiry(Purpose.FOLLOW_UP, T0, due) == due
    with pytest.raises(ValueError, match="expires_at"):
        link_expiry(Purpose.FOLLOW_UP, T0, None)
    with pytest.raises(ValueError, match="after"):
        link_expiry(Purpose.FOLLOW_UP, T0, T0)


def test_the_accepting_or_resolving_clinician_is_entitled_and_nobody_else() -> None:
    assert entitled(incident(), "clin-ana", Purpose.ACCEPTED)
    assert not entitled(incident(), "clin-ben", Purpose.ACCEPTED)
    assert not entitled(incident(accepted_by=None, status=Status.TRIGGERED), "clin-ana",
                        Purpose.ACCEPTED)
    resolved = incident(status=Status.RESOLVED, resolved_by="clin-ana", resolved_at=T0)
    assert entitled(resolved, "clin-ana", Purpose.ACCEPTED)
    assert not entitled(incident(), "clin-ana", "something-else")


def test_a_follow_up_link_follows_the_follow_ups_owner() -> None:
    resolved = incident(status=Status.RESOLVED, resolved_by="clin-ana", resolved_at=T0,
                        follow_up_due_at=T0 + timedelta(hours=24), follow_up_owner="clin-ana")
    assert entitled(resolved, "clin-ana", Purpose.FOLLOW_UP)
    taken = dataclasses.replace(resolved, follow_up_owner="clin-caro", follow_up_taken_at=T0)
    assert entitled(taken, "clin-caro", Purpose.FOLLOW_UP)
    assert not entitled(taken, "clin-ana", Purpose.FOLLOW_UP), "taken over: no longer hers"
    assert entitled(incident(), "clin-ana", Purpose.FOLLOW_UP), "no owner yet: who accepted"


def test_refusals_name_why() -> None:
    now = T0 + timedelta(minutes=5)
    assert refusal(None, IID, None, now) is Refusal.UNKNOWN
    assert refusal(link(), OTHER, incident(), now) is Refusal.WRONG_INCIDENT
    assert refusal(link(), IID, incident(), T0 + ACCEPTED_LINK_TTL) is Refusal.EXPIRED
    assert refusal(link(), IID, None, now) is Refusal.NO_INCIDENT
    assert refusal(link(clinician_id="clin-ben"), IID, incident(), now) is Refusal.NOT_ENTITLED
    assert refusal(link(), IID, incident(), T0 + ACCEPTED_LINK_TTL - timedelta(seconds=1)) is None


# ---------------------------------------------------------------- the page


def test_the_page_has_every_section_in_the_plans_order() -> None:
    page = render_brief(view(p=participant()))
    ids = [a.get("id") for _, a in parse(page).tags if a.get("id")]
    assert ids == ["incident", "summary", "screener", "participant", "safety-plan",
                   *[f"plan-{field}" for field, _ in SafetyPlan.SECTIONS],
                   "support", "location"]
    for _, title in SafetyPlan.SECTIONS:
        assert title in page
    for text in ("West IOP", "Incident 417", "HIGH", "Ana Alvarez", "Caller reports a plan",
                 "Jo", "Rosa Diaz", "sister", "home, SE Portland", "45 min ago",
                 "Providence ED", "Screen triage: <strong>HIGH</strong>",
                 "consents to be notified", "no consent to notify"):
        assert text in page, text
    assert 'href="tel:+15035550177"' in page and 'href="tel:+15035550144"' in page
    assert "Only for <bdi>Ana Alvarez</bdi>" in page


def test_the_page_is_for_a_phone_and_fetches_nothing() -> None:
    page = render_brief(view(p=participant()))
    tags = parse(page).tags
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in tags
    assert not {t for t, _ in tags} & {"script", "img", "link", "iframe", "object", "embed",
                                       "base", "video", "audio", "source"}
    assert all(not any(k.startswith("on") for k in a) for _, a in tags), "no event handlers"
    for _, attrs in tags:
        for name in ("href", "src", "action", "formaction"):
            value = attrs.get(name)
            assert value is None or value.startswith(("tel:", "#")), (name, value)
    assert "http://" not in page and "https://" not in page and "url(" not in page
    assert "system-ui" in page and "min-height:48px" in page


@pytest.mark.parametrize("where", ["summary", "program", "participant", "names", "referral"])
def test_hostile_text_in_any_field_is_shown_as_text(where: str) -> None:
    inc = incident()
    program, names, p = "West IOP", {"clin-ana": "Ana Alvarez"}, participant()
    if where == "summary":
        inc = incident(summary=HOSTILE, code=HOSTILE)
    elif where == "program":
        program = HOSTILE
    elif where == "participant":
        p = participant(HOSTILE)
    elif where == "names":
        names = {"clin-ana": HOSTILE}
        inc = incident(resolved_by="clin-ana", resolved_at=T0, status=Status.RESOLVED,
                       follow_up_due_at=T0 + timedelta(hours=24), follow_up_owner="clin-ana",
                       follow_up_done_by="clin-ana", follow_up_done_at=T0)
    else:
        inc = incident(status=Status.REFERRED, referral={"crisis_line": HOSTILE, HOSTILE: "x"})
    brief = build_brief(inc, link(), program_name=program, names=names, participant=p,
                        participant_problem=None, now=T0 + timedelta(minutes=10), notice=HOSTILE)
    page = render_brief(brief)
    parsed = parse(page)
    assert "<script>" not in page and "<img" not in page
    assert {t for t, _ in parsed.tags} <= {
        "html", "head", "meta", "title", "style", "body", "main", "p", "h1", "h2", "h3", "dl",
        "dt", "dd", "ul", "li", "strong", "span", "time", "table", "tr", "td", "a", "form",
        "input", "button", "bdi"}
    assert HOSTILE in "".join(parsed.text), "shown, as text"
    for _, attrs in parsed.tags:
        assert not any(k.startswith("on") for k in attrs)
        href = attrs.get("href")
        assert href is None or href.startswith("tel:+1503555")


def _everywhere(text: str) -> v.Brief:
    """A brief with ``text`` in every field that comes from outside: the hotline's summary
    and referral, the program's and clinicians' names, every field of the participant."""
    inc = incident(summary=text, status=Status.RESOLVED, resolved_by="clin-ana",
                   resolved_at=T0, follow_up_due_at=T0 + timedelta(hours=24),
                   follow_up_owner="clin-ana", follow_up_done_by="clin-ana",
                   follow_up_done_at=T0, referral={"crisis_line": text, "note": text})
    return build_brief(inc, link(), program_name=text, names={"clin-ana": text},
                       participant=participant(text), participant_problem=None,
                       now=T0 + timedelta(minutes=10), notice=None)


@pytest.mark.parametrize("control", list(bidi_controls()))
def test_bidi_controls_never_reach_the_page_or_the_json(control: str) -> None:
    """Regression (issue 10): a U+202E in the summary was rendered raw, so 'call
    <RLO>0010-555-305' read as a different number. Each control is shown as U+FFFD."""
    text = f"call {control}0010-555-305{control} now"
    brief = _everywhere(text)
    page = render_brief(brief)
    data = json.dumps(brief_json(brief), ensure_ascii=False)
    preview = json.dumps(v.preview_json(v.Preview(IID, text, "417", "clin-ana",
                                                  Purpose.ACCEPTED)), ensure_ascii=False)
    interstitial = render_interstitial(v.Preview(IID, text, "417", "clin-ana",
                                                 Purpose.ACCEPTED))
    for out in (page, data, preview, interstitial):
        assert not set(out) & set(bidi_controls())
    shown = f"call {b.BIDI_SHOWN}0010-555-305{b.BIDI_SHOWN} now"
    assert page.count(shown) > 10 and data.count(shown) > 10
    assert shown in preview and shown in interstitial
    assert brief.summary == text, "the brief's data is unchanged; only what is shown"


def test_text_from_outside_is_isolated_so_it_cannot_reorder_the_page() -> None:
    """Right-to-left text (here Hebrew, with no control at all) is isolated in <bdi>, so it
    cannot pull the labels, numbers and punctuation around it into its direction."""
    text = "\u05e9\u05dc\u05d5\u05dd 42"
    page = render_brief(_everywhere(text))
    title = f"<title>Incident 417 - {text}</title>"
    outside = page.count(text) - page.count(f"<bdi>{text}</bdi>") - page.count(title)
    assert page.count(f"<bdi>{text}</bdi>") > 10 and outside == 0
    assert f'<p dir="auto"><bdi>{text}</bdi></p>' in page, "the summary"
    assert f"<bdi>{text}</bdi>" in render_interstitial(
        v.Preview(IID, text, "417", "clin-ana", Purpose.ACCEPTED))


def test_the_bidi_controls_are_unicodes() -> None:
    assert set(b.BIDI_CONTROLS) == set(bidi_controls())


def test_a_hostile_phone_number_is_never_a_link() -> None:
    p = participant()
    p = dataclasses.replace(p, support_persons=(
        SupportPerson("Sam", "friend", "javascript:alert(1)", True),))
    page = render_brief(view(p=p))
    assert "javascript:alert(1)" in page and 'href="javascript' not in page


def test_a_missing_participant_is_said_plainly() -> None:
    page = render_brief(view(p=None))
    assert "No participant record was found for this incident." in page
    assert "Safety plan" not in page
    problem = render_brief(view(p=None, problem="The record could not be read."))
    assert "The record could not be read." in problem


def test_no_screen_no_referral_and_no_location_are_said() -> None:
    p = dataclasses.replace(participant(), location=None, support_persons=(),
                            plan=SafetyPlan())
    page = render_brief(view(incident(screener=None), p))
    assert "The hotline sent no screen answers." in page
    assert "No location on record" in page and "None recorded." in page
    assert page.count("Nothing recorded.") == 6
    assert 'id="referral"' not in page


def test_the_screen_shows_each_question_and_what_was_not_asked() -> None:
    page = render_brief(view(incident(screener={"1": True, "2": False, "6": True,
                                                "6_past_3_months": True})))
    assert v.SCREENER_TEXT["4"] in page and "not asked" in page
    assert v.SCREENER_TEXT["6_past_3_months"] in page
    assert "Screen triage: <strong>HIGH</strong>" in page
    assert set(v.SCREENER_TEXT) == {"1", "2", "3", "4", "5", "6", "6_past_3_months"}


def test_a_referral_lists_its_resources() -> None:
    inc = incident(status=Status.REFERRED, referral={
        "crisis_line": "+15035550111", "emergency_department": "Providence ED",
        "source": "program defaults"})
    page = render_brief(view(inc))
    assert 'id="referral"' in page and "Local crisis line" in page
    assert 'href="tel:+15035550111"' in page and "program defaults" in page


def follow_up_incident(**changes: Any) -> Incident:
    fields: dict[str, Any] = dict(
        status=Status.RESOLVED, resolved_by="clin-ana", resolved_at=T0,
        follow_up_due_at=T0 + timedelta(hours=24), follow_up_owner="clin-ana")
    fields.update(changes)
    return incident(**fields)


def test_the_follow_up_owner_gets_the_two_forms() -> None:
    page = render_brief(view(follow_up_incident(), lnk=link(purpose=Purpose.FOLLOW_UP)))
    forms = [a for t, a in parse(page).tags if t == "form"]
    assert forms == [{"method": "post"}, {"method": "post"}], "posts to its own URL only"
    inputs = [a["value"] for t, a in parse(page).tags if t == "input"]
    assert inputs == ["attempt", "done"]
    assert "Record a contact attempt" in page and "Follow-up done" in page
    assert "0 of 3" in page


def test_no_forms_once_done_or_for_someone_else_and_no_attempt_when_full() -> None:
    done = render_brief(view(follow_up_incident(follow_up_done_at=T0,
                                                follow_up_done_by="clin-ana")))
    assert "<form" not in done and "done" in done
    theirs = render_brief(view(follow_up_incident(follow_up_owner="clin-caro",
                                                  follow_up_taken_at=T0)))
    assert "<form" not in theirs and "taken over" in theirs
    full = render_brief(view(follow_up_incident(follow_up_attempts=(T0, T0, T0))))
    assert "Record a contact attempt" not in full and "Follow-up done" in full
    assert "3 of 3" in full


def preview(**changes: Any) -> v.Preview:
    fields: dict[str, Any] = dict(incident_id=IID, program_name="West IOP", code="417",
                                  viewer_id="clin-ana", purpose=Purpose.ACCEPTED)
    fields.update(changes)
    return v.Preview(**fields)


def test_the_interstitial_is_a_heading_a_sentence_and_one_open_button() -> None:
    page = render_interstitial(preview())
    parsed = parse(page)
    title, _style, *texts = [t.strip() for t in parsed.text if t.strip()]
    assert title == "Incident 417 - West IOP"
    assert texts == ["West IOP", "Incident details", "Open the details of incident 417.",
                     OPEN_LABEL]
    forms = [a for t, a in parsed.tags if t == "form"]
    assert forms == [{"method": "post"}], "posts to its own URL only"
    inputs = [a for t, a in parsed.tags if t == "input"]
    assert inputs == [{"type": "hidden", "name": "action", "value": b.OPEN_ACTION}]
    assert b.OPEN_ACTION == "open"
    assert ("button", {"class": "open", "type": "submit"}) in parsed.tags
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in (
        parsed.tags)
    assert ("meta", {"name": "robots", "content": "noindex, nofollow"}) in parsed.tags
    assert {t for t, _ in parsed.tags} <= {
        "html", "head", "meta", "title", "style", "body", "main", "p", "h1", "form", "input",
        "button", "bdi"}, "no script, image, link or anything fetched"
    assert "href" not in page and "http://" not in page and "https://" not in page
    assert "Only for" not in page, "not even the clinician's name"


def test_the_interstitial_carries_nothing_of_the_brief() -> None:
    """Built from a Preview, which holds nothing but what the SMS carried: whatever the
    incident and the participant hold cannot reach it."""
    assert {f.name for f in dataclasses.fields(v.Preview)} == {
        "incident_id", "program_name", "code", "viewer_id", "purpose"}
    page = render_interstitial(preview())
    full = render_brief(view(follow_up_incident(), participant()))
    for text in ("Caller reports a plan", "Jo", "Rosa Diaz", "home, SE Portland", "Providence ED",
                 "warning_signs entry", "Safety plan", "Screen triage", "Ana Alvarez", "HIGH",
                 "Follow-up", "tel:"):
        assert text in full and text not in page, text
    assert "clin-ana" not in page and IID not in page


def test_the_interstitial_escapes_the_program_and_code() -> None:
    page = render_interstitial(preview(program_name=HOSTILE, code=HOSTILE))
    parsed = parse(page)
    assert "<script>" not in page and "<img" not in page
    assert HOSTILE in "".join(parsed.text)
    assert all(not any(k.startswith("on") for k in a) for _, a in parsed.tags)


def test_the_refused_page_says_only_that() -> None:
    page = render_refused()
    assert REFUSED_TEXT in page and "STATUS" in page
    texts = [t.strip() for t in parse(page).text if t.strip()]
    assert texts[0] == "Link invalid or expired" and texts[-1] == REFUSED_TEXT
    assert "<form" not in page and "href" not in page


def test_the_headers_forbid_caching_referrers_indexing_and_anything_external() -> None:
    assert PAGE_HEADERS["Cache-Control"] == "no-store"
    assert PAGE_HEADERS["Referrer-Policy"] == "no-referrer"
    assert "noindex" in PAGE_HEADERS["X-Robots-Tag"]
    assert PAGE_HEADERS["X-Content-Type-Options"] == "nosniff"
    csp = PAGE_HEADERS["Content-Security-Policy"]
    for directive in ("default-src 'none'", "style-src 'unsafe-inline'", "form-action 'self'"):
        assert directive in csp


# ---------------------------------------------------------------- the JSON


def test_the_json_carries_the_pages_content() -> None:
    data = brief_json(view(follow_up_incident(), participant()))
    json.dumps(data)  # serialisable as it is
    assert data["incident"]["code"] == "417" and data["incident"]["severity"] == "high"
    assert data["incident"]["accepted_by"] == "Ana Alvarez"
    assert data["incident"]["screener"]["severity"] == "high"
    assert [s["section"] for s in data["participant"]["safety_plan"]] == [
        f for f, _ in SafetyPlan.SECTIONS]
    assert data["participant"]["support_persons"][0] == {
        "name": "Rosa Diaz", "relationship": "sister", "phone": "+15035550177",
        "consent_to_notify": True}
    assert data["participant"]["location"]["resources"]["emergency_call_center"] == (
        "+15035550144")
    assert data["follow_up"]["can_record"] is True and data["follow_up"]["max_attempts"] == 3
    assert data["link"] == {"for": "clin-ana", "purpose": "accepted",
                            "expires_at": (T0 + ACCEPTED_LINK_TTL).isoformat()}
    missing = brief_json(view(p=None))
    assert missing["participant"] is None and "No participant record" in (
        missing["participant_problem"])


# ---------------------------------------------------------------- the SMS


def test_the_acceptance_sms_adds_only_the_link() -> None:
    from crisis_pager.domain import messages

    url = ("https://abcdefghij.execute-api.us-east-1.amazonaws.com/prod/brief/"
           f"{IID}/{'a-b_' * 6}")
    plain = messages.accepted_reply("West IOP", "417", "+15035550100")
    with_link = messages.accepted_reply("West IOP", "417", "+15035550100", link=url)
    assert with_link == f"{plain} Details (2 h, only for you): {url}"
    longest = messages.accepted_reply("W" * 40, "4171", "+15035550100", link=url)
    assert len(longest) <= 3 * 153, "three segments at most"
    assert set(longest) <= set(
        "@$_ !\"#%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    assert messages.accepted_reply("West IOP", "417", "+15035550100", link=None) == plain
