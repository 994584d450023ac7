"""The accepting clinician's secure link on the local stack: a page accepted by SMS, a GET of
the link answered with the interstitial (nothing of the brief: what a link-preview fetcher
gets), the brief opened over the API by the interstitial's POST as HTML and by a GET as
JSON, another clinician's (or another incident's, or an expired) link refused, every use on
the timeline as what it was, and nothing from the brief in any SMS, log line or metric."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape
from typing import Any

from crisis_pager import bootstrap
from crisis_pager.domain.brief import token_hash
from crisis_pager.service.briefs import issue_link
from crisis_pager.service.participants import save_participant
from local import seed
from local.stack import LocalStack
from tests.ladder.conftest import (
    PARTICIPANT_REF,
    SUMMARY,
    assert_kept_out,
    open_incident,
    outputs,
    wait_for_pages,
)

ANA, BEN = seed.phone_of("clin-ana"), seed.phone_of("clin-ben")
PLAN = {
    "warning_signs": ["Not sleeping, pacing the hallway at night"],
    "internal_coping": ["Walk the dog around Laurelhurst"],
    "distractions": ["Coffee shop on Hawthorne"],
    "help_contacts": ["Sister Rosa, evenings"],
    "professionals": ["Dr. Okonkwo +15035550166"],
    "environment_safety": ["Rosa keeps the pills at her place"],
}
LOCATION = "apartment above the laundromat, SE 39th"
PRIVATE = ("Maria", "Rosa", "Okonkwo", "laundromat", "Laurelhurst", "Hawthorne", "pacing",
           SUMMARY, PARTICIPANT_REF)
LINK = re.compile(r"https?://\S+/brief/(inc_[a-z2-7]{24})/([A-Za-z0-9_-]{16,64})")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
OPEN = "action=open"  # the interstitial's one button
# What link-preview fetchers and URL scanners send (no Accept asks for JSON).
PREVIEW_FETCHERS = [
    {},
    {"Accept": "*/*", "User-Agent": "facebookexternalhit/1.1"},
    {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
     "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit"},
    {"Accept": "text/html", "User-Agent": "WhatsApp/2.23"},
]
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
           "X-Content-Type-Options": "nosniff"}


def save_plan(stack: LocalStack) -> None:
    now = stack.clock.now()
    save_participant({
        "participant_id": PARTICIPANT_REF, "program_id": seed.PROGRAM_ID,
        "preferred_name": "Maria", "safety_plan": PLAN,
        "support_persons": [{"name": "Rosa Gonzalez", "relationship": "sister",
                             "phone": "+15035550177", "consent_to_notify": True,
                             "consent_recorded_at": (now - timedelta(days=9)).isoformat()}],
        "location": {"description": LOCATION,
                     "confirmed_at": (now - timedelta(minutes=20)).isoformat(),
                     "crisis_line": "+15035550111", "mobile_crisis_team": "+15035550122",
                     "emergency_department": "OHSU ED",
                     "emergency_department_phone": "+15035550133",
                     "emergency_call_center": "+15035550144"},
    }, by="intake-admin", participants=bootstrap.participants(), clock=stack.clock)


def accept(stack: LocalStack, phone: str = ANA, rung: int = 1) -> tuple[str, str, str]:
    """Open an incident, accept it by SMS at ``rung``: (incident id, code, SMS answer)."""
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, rung)
    answer = stack.sms_reply(phone, f"A {code}")
    assert answer.status == 200 and "Accepted" in answer.body
    return incident_id, code, unescape(answer.body)


def brief_link(stack: LocalStack, incident_id: str, answer: str) -> str:
    """The path of the link: the acceptance SMS's (once it carries one), else issued here
    as the acceptance would issue it."""
    found = LINK.search(answer)
    if found:
        return f"/brief/{found[1]}/{found[2]}"
    url = issue_link(bootstrap.brief_links(), stack.public_base_url, incident_id, "clin-ana",
                     "accepted", stack.clock.now())
    return url.removeprefix(stack.public_base_url)


def uses(stack: LocalStack, incident_id: str) -> list[dict[str, Any]]:
    return [e for e in stack.timeline(incident_id) if e["kind"].startswith("brief_")]


def assert_page_headers(headers: dict[str, str]) -> None:
    for name, value in HEADERS.items():
        assert headers[name] == value, name
    assert "noindex" in headers["X-Robots-Tag"]
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "form-action 'self'" in csp


def test_the_acceptance_sms_carries_the_link_and_nothing_else_new(stack: LocalStack) -> None:
    incident_id, code, answer = accept(stack)
    found = LINK.search(answer)
    assert found and found[1] == incident_id
    assert answer.count("http") == 1 and "Details (2 h, only for you)" in answer


def test_the_accepting_clinician_reads_the_brief_as_html_and_json(stack: LocalStack) -> None:
    save_plan(stack)
    incident_id, code, answer = accept(stack)
    path = brief_link(stack, incident_id, answer)

    first = stack.api("GET", path)
    assert first.status == 200 and 'name="action" value="open"' in first.body
    page = stack.api("POST", path, OPEN, FORM)
    assert page.status == 200, page.body
    assert page.headers["Content-Type"].startswith("text/html")
    assert_page_headers(page.headers)
    body = unescape(page.body)
    for text in (f"Incident {code}", "West IOP", "HIGH", SUMMARY, "Maria", LOCATION,
                 "Rosa Gonzalez", "Ana Alvarez", *(entries[0] for entries in PLAN.values())):
        assert text in body, text
    assert 'href="tel:+15035550144"' in page.body

    as_json = stack.api("POST", path + "?format=json", OPEN, FORM)
    accepted = stack.api("POST", path, OPEN, {**FORM, "Accept": "application/json"})
    for response in (as_json, accepted):
        assert response.status == 200 and response.headers["Content-Type"] == "application/json"
        data = response.json()
        assert data["incident"]["incident_id"] == incident_id
        assert data["incident"]["summary"] == SUMMARY
        assert data["participant"]["preferred_name"] == "Maria"
        assert data["participant"]["location"]["description"] == LOCATION
        assert data["link"]["for"] == "clin-ana"

        assert_page_headers(response.headers)

    # A GET never shows the brief, in JSON either: what the SMS carried and how to open it.
    for response in (stack.api("GET", path + "?format=json"),
                     stack.api("GET", path, headers={"Accept": "application/json"})):
        assert response.status == 200 and response.headers["Content-Type"] == "application/json"
        assert response.json() == {
            "incident": {"incident_id": incident_id, "program": "West IOP", "code": code},
            "open": {"method": "POST", "form": {"action": "open"}}}
        assert_page_headers(response.headers)

    opened = uses(stack, incident_id)
    assert [(e["kind"], e["clinician_id"], e["format"]) for e in opened] == [
        ("brief_previewed", "clin-ana", "html"), ("brief_opened", "clin-ana", "html"),
        ("brief_opened", "clin-ana", "json"), ("brief_opened", "clin-ana", "json"),
        ("brief_previewed", "clin-ana", "json"), ("brief_previewed", "clin-ana", "json")]
    assert all(e["link"] == token_hash(path.rsplit("/", 1)[1])[:12] for e in opened)


def test_bidi_controls_in_the_summary_are_shown_not_obeyed(stack: LocalStack) -> None:
    """Regression (issue 10): a right-to-left override in the hotline's summary reached the
    page raw and reversed the number after it. Shown as U+FFFD, the text isolated."""
    summary = "Call back on \u202e0010-555-305\u202c, ask for \u2067the nurse\u2069"
    incident_id, code = open_incident(stack, summary=summary)
    wait_for_pages(stack, code, 1)
    answer = stack.sms_reply(ANA, f"A {code}")
    assert answer.status == 200 and "Accepted" in answer.body
    path = brief_link(stack, incident_id, unescape(answer.body))
    shown = "Call back on \ufffd0010-555-305\ufffd, ask for \ufffdthe nurse\ufffd"
    page = stack.api("POST", path, OPEN, FORM)
    data = stack.api("POST", path + "?format=json", OPEN, FORM)
    assert (page.status, data.status) == (200, 200)
    assert f'<p dir="auto"><bdi>{shown}</bdi></p>' in page.body
    assert data.json()["incident"]["summary"] == shown
    for body in (page.body, data.body, json.dumps(data.json(), ensure_ascii=False)):
        assert not set(body) & set("\u202e\u202c\u2067\u2069")
    assert stack.incident(incident_id).summary == summary, "stored as the hotline sent it"


def test_a_get_of_the_link_shows_no_phi_and_is_recorded_as_a_preview(
    stack: LocalStack,
) -> None:
    """What iMessage, Android Messages or a carrier's scanner gets when it fetches the link
    in the SMS to build a preview: a page with the program, the code and the Open button,
    the same headers, and a ``brief_previewed`` entry, never ``brief_opened``."""
    save_plan(stack)
    incident_id, code, answer = accept(stack)
    path = brief_link(stack, incident_id, answer)
    secrets = (*PRIVATE, LOCATION, "Rosa Gonzalez", "Ana Alvarez", "OHSU ED", "+1503555",
               "tel:", "Safety plan", "HIGH", *(e for entries in PLAN.values() for e in entries))

    for headers in PREVIEW_FETCHERS:
        page = stack.api("GET", path, headers=headers)
        assert page.status == 200, (headers, page.body)
        assert page.headers["Content-Type"].startswith("text/html")
        assert_page_headers(page.headers)
        body = unescape(page.body)
        for secret in secrets:
            assert secret not in body, f"{secret!r} in the page a GET returns"
        assert "West IOP" in body and f"Open the details of incident {code}." in body
        assert body.count("<form") == 1 and '<form method="post">' in body
        assert '<input type="hidden" name="action" value="open">' in body

    rows = uses(stack, incident_id)
    assert [(e["kind"], e["clinician_id"], e["format"]) for e in rows] == [
        ("brief_previewed", "clin-ana", "html")] * len(PREVIEW_FETCHERS)
    assert sum("brief previewed" in line for line in stack.log_lines) == len(PREVIEW_FETCHERS)
    assert not any("brief opened" in line for line in stack.log_lines)
    assert any("BriefsPreviewed" in line for line in stack.metric_lines)

    opened = stack.api("POST", path, OPEN, FORM)
    assert opened.status == 200 and SUMMARY in unescape(opened.body), "the button opens it"
    assert uses(stack, incident_id)[-1]["kind"] == "brief_opened"


def test_other_clinicians_other_incidents_and_expired_links_are_refused(
    stack: LocalStack,
) -> None:
    save_plan(stack)
    incident_id, _, answer = accept(stack, BEN, rung=2)  # Ben accepts; Ana was paged first
    links = bootstrap.brief_links()
    base = stack.public_base_url

    def path_of(url: str) -> str:
        return url.removeprefix(base)

    anas = path_of(issue_link(links, base, incident_id, "clin-ana", "accepted",
                              stack.clock.now()))
    bens = path_of(issue_link(links, base, incident_id, "clin-ben", "accepted",
                              stack.clock.now()))
    stale = path_of(issue_link(links, base, incident_id, "clin-ben", "accepted",
                               stack.clock.now() - timedelta(hours=3)))
    other_id, _ = open_incident(stack, "evt-2")
    elsewhere = f"/brief/{other_id}/{bens.rsplit('/', 1)[1]}"
    unknown = f"/brief/{incident_id}/{'N' * 24}"

    for path, reason in [(anas, "not_entitled"), (stale, "expired"),
                         (elsewhere, "wrong_incident"), (unknown, "unknown_link")]:
        for method, body, headers in [("GET", "", {}), ("POST", OPEN, FORM)]:
            refused = stack.api(method, path, body, headers)
            assert refused.status == 403, (method, path, refused.body)
            assert "invalid or has expired" in refused.body and "STATUS" in refused.body
            assert "<form" not in refused.body
            assert_page_headers(refused.headers)
            for secret in PRIVATE:
                assert secret not in refused.body
            assert uses(stack, incident_id)[-1]["reason"] == reason
    assert stack.api("GET", anas + "?format=json").json()["error"] == "invalid_or_expired"
    assert stack.api("GET", bens).status == 200, "Ben accepted: his link works"
    assert stack.api("POST", bens, OPEN, FORM).status == 200, "and opens"
    assert [e["reason"] for e in uses(stack, other_id)] == ["wrong_incident"] * 2
    kinds = [e["kind"] for e in uses(stack, incident_id)]
    assert kinds == ["brief_refused"] * 9 + ["brief_previewed", "brief_opened"], (
        "every use is on the timeline")


def test_no_safety_plan_or_name_in_any_sms_log_line_or_metric(stack: LocalStack) -> None:
    save_plan(stack)
    incident_id, _, answer = accept(stack)
    path = brief_link(stack, incident_id, answer)
    assert stack.api("GET", path).status == 200
    assert stack.api("POST", path, OPEN, FORM).status == 200
    assert stack.api("POST", path + "?format=json", OPEN, FORM).status == 200
    assert stack.api("GET", f"/brief/{incident_id}/{'N' * 24}").status == 403
    token = path.rsplit("/", 1)[1]

    seen = outputs(stack, incident_id)
    seen["sms"].append(answer)
    seen["timeline"] = [json.dumps(e, default=str) for e in stack.timeline(incident_id)]
    assert any("brief opened" in line for line in seen["logs"]), "the scan sees the brief's logs"
    assert any("brief previewed" in line for line in seen["logs"])
    assert any("brief refused" in line for line in seen["logs"])
    assert any("BriefsOpened" in line for line in seen["metrics"])
    assert_kept_out(seen, (*PRIVATE, LOCATION, "Rosa Gonzalez", *PLAN["warning_signs"]))
    for channel, texts in seen.items():
        if channel != "sms":
            assert not any(token in text for text in texts), (
                f"the link's token leaked into {channel}")


def test_the_follow_up_is_recorded_from_the_page(stack: LocalStack) -> None:
    save_plan(stack)
    incident_id, code, _ = accept(stack)
    assert "Resolved" in stack.sms_reply(ANA, f"R {code}").body
    incident = stack.incident(incident_id)
    assert incident.follow_up_owner == "clin-ana" and incident.follow_up_due_at is not None
    url = issue_link(bootstrap.brief_links(), stack.public_base_url, incident_id, "clin-ana",
                     "follow_up", stack.clock.now(), expires_at=incident.follow_up_due_at)
    path = url.removeprefix(stack.public_base_url)
    form = FORM

    first = stack.api("GET", path)
    assert first.status == 200 and "Record a contact attempt" not in first.body
    page = stack.api("POST", path, OPEN, form)
    assert page.status == 200 and "Record a contact attempt" in page.body
    attempt = stack.api("POST", path, "follow_up=attempt", form)
    assert attempt.status == 200 and "Contact attempt recorded." in attempt.body
    assert "1 of 3" in attempt.body
    done = stack.api("POST", path, "follow_up=done", form)
    assert done.status == 200 and "Follow-up recorded as done" in done.body
    assert "<form" not in done.body, "closed: nothing more to record"
    assert stack.incident(incident_id).follow_up_done_by == "clin-ana"
    for bad in ("follow_up=delete", "action=delete", "action=attempt", "",
                "action=open&follow_up=done", "&".join(["action=open"] * 6)):
        refused = stack.api("POST", path, bad, form)
        assert refused.status == 400, bad
        assert_page_headers(refused.headers)

    kinds = [e["kind"] for e in stack.timeline(incident_id)]
    assert kinds.count("follow_up_attempt") == 1 and kinds.count("follow_up_done") == 1
    posts = [(e["action"], e["outcome"]) for e in uses(stack, incident_id) if "action" in e]
    assert posts == [("attempt", "attempt_recorded"), ("done", "done")]
    bens = issue_link(bootstrap.brief_links(), stack.public_base_url, incident_id, "clin-ben",
                      "follow_up", stack.clock.now(), expires_at=incident.follow_up_due_at)
    assert stack.api("POST", bens.removeprefix(stack.public_base_url), "follow_up=done",
                     form).status == 403
