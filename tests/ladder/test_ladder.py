"""Whole incidents through the real ASL on the local stack. Read like GoAlert's smoke
tests: a crisis comes in, the fake clock runs, the fake phones receive pages."""

from __future__ import annotations

import json
import threading

import boto3
import pytest

from local import seed
from local.stack import LocalStack
from tests.ladder.conftest import (
    PARTICIPANT_REF,
    SUMMARY,
    assert_at,
    assert_kept_out,
    escalation,
    ladder_seconds,
    open_incident,
    outputs,
    pages,
    wait_for_pages,
)

ANA, BEN, CARO = (seed.phone_of(c) for c in ("clin-ana", "clin-ben", "clin-caro"))


def test_nobody_answers_primary_backup_supervisor_then_referral(stack: LocalStack) -> None:
    incident_id, code = open_incident(stack)
    assert stack.wait_until_done(incident_id, timeout=60) == "SUCCEEDED"

    sent = pages(stack, code)
    who = [phone for phone, _ in sent]
    assert who[:3] == [ANA, BEN, CARO]
    assert set(who[3:]) == {CARO}, "after the referral only the supervisor is paged again"
    starts = [ladder_seconds(stack, incident_id, at) for _, at in sent[:3]]
    for got, expected in zip(starts, [0, 300, 600], strict=True):
        assert_at(got, expected, f"pages at 0:00, 5:00, 10:00: {starts}")

    timeline = stack.timeline(incident_id)
    referred = [e for e in timeline if e["kind"] == "referred"]
    assert len(referred) == 1
    assert referred[0]["crisis_line"] == seed.PROGRAM["crisis_line"]
    referral_at = ladder_seconds(stack, incident_id,
                                 stack.incident(incident_id).referred_at.timestamp())
    assert_at(referral_at, 900, "referral at 15:00")
    assert stack.incident(incident_id).status.value == "referred"
    assert stack.receiver.events(incident_id) == ["referred"]
    callback = next(c for c in stack.receiver.callbacks if c.payload["event"] == "referred")
    assert callback.verified and callback.payload["referral"]["mobile_crisis_team"]
    assert timeline[-1]["kind"] == "ladder_exhausted"


@pytest.mark.parametrize(("rung", "phone"), [(0, ANA), (1, BEN), (2, CARO)])
def test_acceptance_at_each_rung_stops_the_ladder(stack: LocalStack, rung: int,
                                                  phone: str) -> None:
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, rung + 1)
    answer = stack.sms_reply(phone, f"A {code}")
    assert answer.status == 200 and "Accepted" in answer.body
    assert stack.wait_until_done(incident_id, timeout=30) == "SUCCEEDED"

    incident = stack.incident(incident_id)
    assert incident.status.value == "accepted"
    sent = pages(stack, code)
    assert len(sent) == rung + 1, "nobody is paged after the acceptance"
    assert all(at <= incident.accepted_at.timestamp() for _, at in sent)
    assert stack.receiver.events(incident_id) == ["accepted"]
    kinds = [e["kind"] for e in stack.timeline(incident_id)]
    assert "referred" not in kinds and kinds.count("accepted") == 1


def test_supervisor_accepting_after_the_referral_stops_the_repeats(stack: LocalStack) -> None:
    incident_id, code = open_incident(stack)
    stack.wait_for(lambda: stack.incident(incident_id).referred_at is not None, timeout=30)
    wait_for_pages(stack, code, 4)  # the supervisor's first page after the referral
    assert stack.sms_reply(CARO, f"{code} a").status == 200
    assert stack.wait_until_done(incident_id, timeout=30) == "SUCCEEDED"
    assert stack.incident(incident_id).status.value == "accepted"
    assert stack.receiver.events(incident_id) == ["referred", "accepted"]
    n = len(pages(stack, code))
    assert n == 4


def test_supervisor_accepting_after_the_ladder_ended_tells_the_hotline(
        stack: LocalStack) -> None:
    """Every rung ran (the referral, then the supervisor's repeats) and the execution
    ended; the supervisor's A still reaches the hotline as `accepted`, once."""
    incident_id, code = open_incident(stack)
    assert stack.wait_until_done(incident_id, timeout=60) == "SUCCEEDED"
    assert stack.incident(incident_id).ladder_ended_at is not None
    n = len(pages(stack, code))
    answer = stack.sms_reply(CARO, f"A {code}")
    assert answer.status == 200 and "Accepted" in answer.body
    assert stack.wait_until_done(f"{incident_id}-accepted", timeout=30) == "SUCCEEDED"
    assert stack.incident(incident_id).status.value == "accepted"
    assert stack.receiver.events(incident_id) == ["referred", "accepted"]
    callback = next(c for c in stack.receiver.callbacks
                    if c.payload["incident_id"] == incident_id
                    and c.payload["event"] == "accepted")
    assert callback.verified and callback.payload["accepted"]["clinician_id"] == "clin-caro"
    assert len(pages(stack, code)) == n, "nobody is paged after the acceptance"


def test_replies_racing_the_timeout_never_lead_to_a_page_after_acceptance(
    stack: LocalStack,
) -> None:
    """The primary answers right around the end of their window, when the ladder may be
    deciding to page the backup. Whatever wins, no page goes out after the acceptance."""
    for attempt, offset in enumerate([-2.0, -0.5, 0.0, 0.3, 1.0, 3.0]):
        incident_id, code = open_incident(stack, event_id=f"race-{attempt}")
        wait_for_pages(stack, code, 1)
        opened = stack.incident(incident_id).opened_at.timestamp()
        stack.wait_for(lambda o=opened, d=offset: stack.clock.now().timestamp() - o >= 300 + d,
                       timeout=10)
        assert stack.sms_reply(ANA, f"A {code}").status == 200
        assert stack.wait_until_done(incident_id, timeout=30) == "SUCCEEDED"
        accepted_at = stack.incident(incident_id).accepted_at.timestamp()
        late = [(p, at - accepted_at) for p, at in pages(stack, code) if at > accepted_at]
        assert late == [], f"offset {offset}: page after acceptance"
        assert stack.incident(incident_id).accepted_by == "clin-ana"


def test_the_same_event_posted_twice_gives_one_incident_and_one_ladder(
    stack: LocalStack,
) -> None:
    first = stack.post_escalation(escalation(stack, "evt-dup"))
    second = stack.post_escalation(escalation(stack, "evt-dup"))
    assert first.status == second.status == 202
    assert first.json()["incident_id"] == second.json()["incident_id"]
    assert (first.json()["created"], second.json()["created"]) == (True, False)
    incident_id, code = first.json()["incident_id"], first.json()["code"]
    wait_for_pages(stack, code, 1)
    executions = _executions(stack)
    assert len(executions) == 1 and executions[0]["name"] == incident_id


def test_the_same_event_posted_concurrently_gives_one_incident(stack: LocalStack) -> None:
    body = escalation(stack, "evt-burst")
    results: list[dict[str, object]] = []
    barrier = threading.Barrier(6)

    def post() -> None:
        barrier.wait()
        response = stack.post_escalation(body)
        results.append({**response.json(), "http": response.status})

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r["http"] for r in results} == {202}
    assert len({r["incident_id"] for r in results}) == 1
    assert sum(bool(r["created"]) for r in results) == 1
    code = str(results[0]["code"])
    wait_for_pages(stack, code, 1)
    assert len(_executions(stack)) == 1
    assert len(_incident_items(stack)) == 1
    assert [p for p, _ in pages(stack, code)] == [ANA], "paged exactly once"


def test_a_rung_whose_rota_has_nobody_is_skipped_without_waiting(stack: LocalStack) -> None:
    stack.delete_item("ProgramsTable", {"program_id": seed.PROGRAM_ID, "key": "rota#backup"})
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 2)
    (p1, t1), (p2, t2) = pages(stack, code)[:2]
    assert (p1, p2) == (ANA, CARO), "backup skipped, supervisor paged"
    assert_at(ladder_seconds(stack, incident_id, t2), 300,
              "the supervisor is paged when the primary's window ends, not a window later")
    skipped = [e for e in stack.timeline(incident_id) if e["kind"] == "rung_skipped"]
    assert [e["target"] for e in skipped] == ["backup"]
    assert "rota#backup" in skipped[0]["reason"]


def test_a_malformed_rota_is_a_gap_not_a_crash(stack: LocalStack) -> None:
    rota = next(r for r in seed.rotas(stack.clock.now()) if r["key"] == "rota#primary")
    stack.put_items("ProgramsTable", [{**rota, "timezone": "Pacific/Atlantis"}])
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 1)
    assert pages(stack, code)[0][0] == BEN
    skipped = [e for e in stack.timeline(incident_id) if e["kind"] == "rung_skipped"]
    assert "timezone" in skipped[0]["reason"] and "Pacific/Atlantis" in skipped[0]["reason"]
    assert stack.errors == []


def test_status_endpoint_shows_rung_and_who_accepted(stack: LocalStack) -> None:
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 2)
    during = stack.get_escalation(incident_id)
    assert during.status == 200
    assert during.json()["status"] == "triggered"
    assert during.json()["current_rung"] == {"position": 1, "target": "backup"}
    stack.sms_reply(BEN, f"A {code}")
    after = stack.get_escalation(incident_id).json()
    assert after["status"] == "accepted"
    assert after["accepted"]["clinician_id"] == "clin-ben"
    assert after["accepted"]["name"] == "Ben Okafor"
    assert SUMMARY not in json.dumps(after) and PARTICIPANT_REF not in json.dumps(after)


def test_a_forged_twilio_reply_is_refused_and_changes_nothing(stack: LocalStack) -> None:
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 1)
    forged = stack.sms_reply(ANA, f"A {code}", auth_token="0" * 32)
    assert forged.status == 403
    assert stack.incident(incident_id).status.value == "triggered"


def test_replies_that_do_not_accept_get_an_answer_and_change_nothing(
    stack: LocalStack,
) -> None:
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 1)
    for sender, text, says in [(BEN, f"A {code}", "No open page"),  # Ben was not paged yet
                               (ANA, "A 000", "No open page"),
                               (ANA, "ok", "not understood")]:
        answer = stack.sms_reply(sender, text)
        assert answer.status == 200 and says in answer.body
    assert stack.incident(incident_id).status.value == "triggered"


def test_nothing_about_the_participant_leaves_dynamodb(stack: LocalStack) -> None:
    """SMS, logs, metrics, execution inputs and histories, hotline callbacks: none carries
    the summary or the participant reference."""
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 2)
    stack.sms_reply(BEN, f"A {code}")
    stack.wait_until_done(incident_id, timeout=30)

    seen = outputs(stack, incident_id) | {
        "callbacks": [json.dumps(c.payload) for c in stack.receiver.callbacks]}
    assert_kept_out(seen, (SUMMARY, PARTICIPANT_REF, "Maria", "Rosa", "pills"))


def test_metrics_record_pages_acceptances_and_time_to_accept(stack: LocalStack) -> None:
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 2)
    stack.sms_reply(BEN, f"A {code}")
    stack.wait_until_done(incident_id, timeout=30)
    emitted: dict[str, list[float]] = {}
    for line in stack.metric_lines:
        blob = json.loads(line)
        for definition in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            value = blob[definition["Name"]]
            emitted.setdefault(definition["Name"], []).extend(
                value if isinstance(value, list) else [value])
    assert emitted["PagesSent"] == [1.0, 1.0]
    assert emitted["Acceptances"] == [1.0]
    assert emitted["HighestRung"] == [1.0]
    (seconds,) = emitted["SecondsToAcceptance"]
    assert 300 <= seconds <= 300 + 300, "accepted during the backup's window"
    assert emitted["IncidentsOpened"] == [1.0]


# ---------------------------------------------------------------- bad input


def _executions(stack: LocalStack) -> list[dict[str, object]]:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    return list(sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"])


def _incident_items(stack: LocalStack) -> list[dict[str, object]]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(stack.refs["IncidentsTable"])
    return [i for i in table.scan()["Items"] if i["sk"] == "incident"]


def _nothing_happened(stack: LocalStack) -> None:
    dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
    for table in ("IncidentsTable", "TimelineTable"):
        assert dynamodb.Table(stack.refs[table]).scan()["Items"] == [], f"{table} written"
    assert _executions(stack) == [] and stack.twilio.messages == []


@pytest.mark.parametrize(
    ("change", "status", "names"),
    [
        ({"severity": "urgent"}, 422, "severity"),
        ({"program_id": None}, 422, "program_id"),
        ({"participant_ref": "Maria Gonzalez"}, 422, "participant_ref"),
        ({"summary": "x" * 1001}, 422, "summary"),
        ({"nickname": "Mo"}, 422, "nickname"),
        ({"event_id": ""}, 422, "event_id"),
        ({"callback_url": "http://hotline.example/cb"}, 422, "https"),
        ({"program_id": "east-iop"}, 422, "east-iop"),
    ],
)
def test_bad_fields_are_named_and_nothing_is_stored(stack: LocalStack, change: dict[str, object],
                                                    status: int, names: str) -> None:
    body = escalation(stack, "evt-bad")
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    response = stack.post_escalation(body)
    assert response.status == status, response.body
    assert names in response.body
    assert "Maria" not in response.body, "submitted values are never echoed back"
    _nothing_happened(stack)


def test_malformed_json_is_a_named_4xx(stack: LocalStack) -> None:
    response = stack.signed_request("POST", "/v1/escalations", '{"program_id": "west-iop",')
    assert response.status == 422 and "invalid_request" in response.body
    _nothing_happened(stack)


def test_a_body_nested_too_deeply_is_a_named_422(stack: LocalStack) -> None:
    """Regression (issue 10): a signed 10 KB body nested 5,000 levels deep made the JSON
    parser raise RecursionError: a 500, not a 422."""
    for body in ("[" * 5000 + "]" * 5000, '{"program_id": ' + "[" * 5000 + "]" * 5000 + "}"):
        response = stack.signed_request("POST", "/v1/escalations", body)
        assert response.status == 422, response.body
        assert response.json()["error"] == "invalid_request"
        assert "nested too deeply" in response.body
    _nothing_happened(stack)


def test_non_ascii_signature_headers_are_a_401(stack: LocalStack) -> None:
    """Regression (issue 10): a non-ASCII X-CrisisPager-Signature with a known hotline and
    a fresh timestamp made hmac.compare_digest raise TypeError: a 500, not a 401."""
    import time

    from crisis_pager.domain import signature

    body = json.dumps(escalation(stack, "evt-non-ascii"))
    for header, value in [(signature.SIGNATURE_HEADER, "v1=é"),
                          (signature.SIGNATURE_HEADER, "v1=" + "é" * 64),
                          (signature.HOTLINE_HEADER, "démo-hotline"),
                          (signature.TIMESTAMP_HEADER, "١٧٨٠٠٠٠٠٠٠")]:
        headers = signature.signed_headers("demo-hotline", stack.hotline_secret,
                                           int(time.time()), "POST", "/v1/escalations", body)
        headers[header] = value
        response = stack.api("POST", "/v1/escalations", body, headers)
        assert response.status == 401, (header, response.body)
        assert response.json()["error"] == "unauthorized"
    _nothing_happened(stack)


@pytest.mark.parametrize("urls", [
    # issue 10: a malformed IPv6 host was a 500 (urlsplit's ValueError)
    ["https://[::1/cb", "https://[zz]/cb", "https://hotline.example:99999/cb",
     "https://hotline.example:x/cb"],
    # and internal addresses, credentials and control characters were accepted
    ["https://169.254.169.254/latest/meta-data/", "https://localhost/cb",
     "https://127.0.0.1:8080/admin", "https://10.0.0.1/cb", "https://[::1]/cb",
     "https://0x7f000001/cb", "https://2130706433/cb", "https://017700000001/cb",
     "https://[::ffff:169.254.169.254]/cb", "https://ops:s3cr3t@hotline.example/cb",
     "https://hotline.example/cb\r\nX-Injected: 1", "https://hotline.example/c b"],
])
def test_refused_callback_urls_are_a_named_422(stack: LocalStack, urls: list[str]) -> None:
    for url in urls:
        if url.startswith(("https://127.", "https://[::1]", "https://localhost")):
            continue  # the local stack's escape hatch allows loopback (its receiver's)
        response = stack.post_escalation(escalation(stack, "evt-cb", callback_url=url))
        assert response.status == 422, (url, response.body)
        assert response.json()["error"] == "invalid_request"
        assert "callback_url" in response.body and "s3cr3t" not in response.body
    _nothing_happened(stack)


def test_a_callback_url_refused_at_send_time_is_recorded_and_the_ladder_goes_on(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 10: intake accepts a name; at send time it resolves to an internal address
    (a rebinding, say): the callback is refused, on the timeline, and never connected."""
    import socket

    real = socket.getaddrinfo

    def rebinding(host: str, port: object, *args: object, **kwargs: object) -> object:
        if host == "hotline.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 443))]
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    incident_id, code = open_incident(stack, callback_url="https://hotline.test/cb?t=s3cr3t")
    wait_for_pages(stack, code, 1)
    assert stack.sms_reply(ANA, f"A {code}").status == 200
    assert stack.wait_until_done(incident_id, timeout=30) == "SUCCEEDED"
    failed = [e for e in stack.timeline(incident_id) if e["kind"] == "callback_failed"]
    assert [(e["event"], e["code"]) for e in failed] == [("accepted", "address_not_allowed")]
    assert "s3cr3t" not in json.dumps(failed) and "hotline.test" not in json.dumps(failed)
    assert stack.incident(incident_id).status.value == "accepted"
    assert stack.receiver.callbacks == []


@pytest.mark.parametrize("forgery", ["wrong_secret", "unknown_hotline", "stale", "future",
                                     "tampered"])
def test_unsigned_or_forged_requests_are_refused(stack: LocalStack, forgery: str) -> None:
    import time

    body = json.dumps(escalation(stack, "evt-forged"))
    now = int(time.time())  # the hotline's wall clock, which intake checks against
    if forgery == "tampered":
        from crisis_pager.domain.signature import signed_headers

        headers = signed_headers("demo-hotline", stack.hotline_secret, now, "POST",
                                 "/v1/escalations", body)
        response = stack.api("POST", "/v1/escalations", body.replace("high", "low"), headers)
    else:
        kwargs = {"wrong_secret": {"secret": "not-the-secret"},
                  "unknown_hotline": {"hotline_id": "someone-else"},
                  # 5 minutes of skew are allowed; 30 s more, so a slow machine between
                  # signing and checking cannot bring a forgery back inside the window.
                  "stale": {"timestamp": now - 330},
                  "future": {"timestamp": now + 330}}[forgery]
        response = stack.signed_request("POST", "/v1/escalations", body, **kwargs)
    assert response.status == 401
    assert json.loads(response.body)["error"] == "unauthorized"
    _nothing_happened(stack)


def test_a_hotline_cannot_read_another_hotlines_incident(stack: LocalStack) -> None:
    incident_id, _ = open_incident(stack)
    assert stack.get_escalation("inc_" + "a" * 24).status == 404
    # a valid signature, but from a hotline id the secret does not belong to: refused
    assert stack.get_escalation(incident_id, hotline_id="other").status == 401


def test_the_hotline_reads_its_incidents_timeline_and_no_one_elses(stack: LocalStack) -> None:
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 1)
    assert stack.sms_reply(ANA, f"A {code}").status == 200
    assert stack.wait_until_done(incident_id, timeout=30) == "SUCCEEDED"
    response = stack.signed_request("GET", f"/v1/escalations/{incident_id}/timeline")
    assert response.status == 200, response.body
    body = response.json()
    kinds = [e["kind"] for e in body["entries"]]
    assert body["incident_id"] == incident_id
    assert kinds[0] == "opened" and "paged" in kinds and "accepted" in kinds
    assert kinds.index("paged") < kinds.index("accepted")
    assert [e["at"] for e in body["entries"]] == sorted(e["at"] for e in body["entries"])
    assert SUMMARY not in response.body and PARTICIPANT_REF not in response.body
    unknown = stack.signed_request("GET", "/v1/escalations/inc_" + "a" * 24 + "/timeline")
    assert unknown.status == 404
    forged = stack.signed_request("GET", f"/v1/escalations/{incident_id}/timeline",
                                  hotline_id="other")
    assert forged.status == 401
