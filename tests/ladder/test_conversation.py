"""The conversation with clinicians on the real ladder: reply codes, pass and resolve,
delivery failures and the voice fallback, STOP and START, Twilio's API errors.

Twilio here is the fake transport under the real client: it reports each message's status
and plays each call (a person pressing keys, a machine, nobody) back to our webhooks,
signed as Twilio signs them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from local import seed
from local.resources import TWILIO_FROM
from local.stack import LocalStack
from tests.ladder.conftest import (
    PARTICIPANT_REF,
    SCALE,
    SUMMARY,
    Inbox,
    changes_nothing,
    ladder_seconds,
    open_incident,
    pages,
    wait_for_pages,
)

ANA, BEN, CARO = (seed.phone_of(c) for c in ("clin-ana", "clin-ben", "clin-caro"))
ADMIN = "+15035550199"
WINDOW = 300  # the high ladder's rungs: 5 minutes each
SOON = 120  # "at once": well inside one window, in ladder seconds (callbacks take real ms)


# A rung's window is real time scaled: at the ladder tests' usual 0.001 a 5-minute window
# lasts 0.3 s, which a whole fallback (report, call, webhook, key) can outlast on a busy
# 2-core machine. Ten times slower keeps every path here well inside its window.
CONVERSATION_SCALE = SCALE * 10


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with LocalStack(scale=CONVERSATION_SCALE) as s:
        seed.seed(s)
        s.put_items("ProgramsTable", [{**seed.PROGRAM, "admin_phones": [ADMIN]}])
        s.streams.drain()
        yield s


def kinds(stack: LocalStack, incident_id: str) -> list[str]:
    return [e["kind"] for e in stack.timeline(incident_id)]


def entries(stack: LocalStack, incident_id: str, kind: str) -> list[dict[str, object]]:
    return [e for e in stack.timeline(incident_id) if e["kind"] == kind]


def calls_to(stack: LocalStack, phone: str) -> list[object]:
    return [c for c in stack.twilio.calls if c.to == phone]


def wait_for_call(stack: LocalStack, phone: str, n: int = 1) -> None:
    stack.wait_for(lambda: len(calls_to(stack, phone)) >= n, timeout=20)


def rung_reached(stack: LocalStack, incident_id: str, phone: str) -> float:
    """Ladder seconds from opening to the first SMS to ``phone``."""
    stack.wait_for(lambda: any(m.to == phone for m in stack.twilio.messages), timeout=20)
    at = next(m.at for m in stack.twilio.messages if m.to == phone)
    return ladder_seconds(stack, incident_id, at)


def reply(stack: LocalStack, phone: str, text: str) -> str:
    answer = stack.sms_reply(phone, text)
    assert answer.status == 200, answer.body
    return answer.body


# ---------------------------------------------------------------- delivery failures


def test_undelivered_sms_calls_the_clinician_then_pages_the_backup_at_once(
    stack: LocalStack,
) -> None:
    stack.twilio.sms_outcome(ANA, "undelivered", 30007)  # carrier filtering
    stack.twilio.call_outcome(ANA, "no-answer")
    incident_id, code = open_incident(stack)

    wait_for_call(stack, ANA)
    backup_at = rung_reached(stack, incident_id, BEN)
    assert backup_at < SOON, f"backup paged {backup_at:.0f}s in: the window is {WINDOW}s"
    timeline = kinds(stack, incident_id)
    assert timeline.index("paged") < timeline.index("page_undelivered") \
        < timeline.index("called") < timeline.index("call_ended")
    (undelivered,) = entries(stack, incident_id, "page_undelivered")
    assert undelivered["error_code"] == 30007 and undelivered["status"] == "undelivered"
    (ended,) = entries(stack, incident_id, "call_ended")
    assert ended["status"] == "no-answer" and ended["ladder"] == "moves on"
    assert stack.incident(incident_id).status.value == "triggered"


@pytest.mark.parametrize(("outcome", "code_"), [("failed", 30036), ("undelivered", 30006)])
def test_every_failed_delivery_falls_back_to_a_call(stack: LocalStack, outcome: str,
                                                    code_: int) -> None:
    stack.twilio.sms_outcome(ANA, outcome, code_)  # validity expired; a landline
    stack.twilio.call_outcome(ANA, "busy")
    incident_id, _ = open_incident(stack)
    assert rung_reached(stack, incident_id, BEN) < SOON
    assert len(calls_to(stack, ANA)) == 1
    assert entries(stack, incident_id, "page_undelivered")[0]["error_code"] == code_


def test_a_person_pressing_1_on_the_fallback_call_accepts(stack: LocalStack) -> None:
    stack.twilio.sms_outcome(ANA, "undelivered", 30003)
    stack.twilio.call_outcome(ANA, "human", keys="1")
    incident_id, code = open_incident(stack)

    assert stack.wait_until_done(incident_id, timeout=30) == "SUCCEEDED"
    incident = stack.incident(incident_id)
    assert (incident.status.value, incident.accepted_by) == ("accepted", "clin-ana")
    (accepted,) = entries(stack, incident_id, "accepted")
    assert accepted["via"] == "voice"
    assert [m.to for m in stack.twilio.messages if m.carries(code)] == [ANA]
    stack.twilio.drain()
    (call,) = calls_to(stack, ANA)
    said = " ".join(stack.twilio.transcript(call.sid).said)
    assert "Press 1 to accept" in said and "Accepted" in said
    assert " ".join(code) in said, "the code is spoken digit by digit"
    assert stack.receiver.events(incident_id) == ["accepted"]


def test_voicemail_never_accepts_and_the_ladder_moves_on(stack: LocalStack) -> None:
    stack.twilio.sms_outcome(ANA, "undelivered", 30003)
    stack.twilio.call_outcome(ANA, "machine")
    incident_id, _ = open_incident(stack)

    assert rung_reached(stack, incident_id, BEN) < SOON
    stack.twilio.drain()
    (call,) = calls_to(stack, ANA)
    transcript = stack.twilio.transcript(call.sid)
    assert transcript.keys == [] and transcript.said == [], "a machine hears nothing"
    assert stack.incident(incident_id).accepted_by is None
    assert entries(stack, incident_id, "call_machine")[0]["answered_by"] == "machine_start"


def test_a_person_who_presses_nothing_counts_as_no_answer(stack: LocalStack) -> None:
    stack.twilio.sms_outcome(ANA, "undelivered", 30003)
    stack.twilio.call_outcome(ANA, "human", keys="")
    incident_id, _ = open_incident(stack)
    assert rung_reached(stack, incident_id, BEN) < SOON
    assert stack.incident(incident_id).accepted_by is None
    stack.twilio.drain()
    said = " ".join(stack.twilio.transcript(calls_to(stack, ANA)[0].sid).said)
    assert "No key was pressed" in said


def test_pressing_2_passes_and_9_repeats(stack: LocalStack) -> None:
    stack.twilio.sms_outcome(ANA, "undelivered", 30003)
    stack.twilio.call_outcome(ANA, "human", keys="92")
    incident_id, _ = open_incident(stack)
    assert rung_reached(stack, incident_id, BEN) < SOON
    stack.twilio.drain()
    transcript = stack.twilio.transcript(calls_to(stack, ANA)[0].sid)
    assert transcript.keys == ["9", "2"]
    assert sum("Press 1 to accept" in s for s in transcript.said) == 2, "9 read it again"
    (passed,) = entries(stack, incident_id, "passed")
    assert (passed["clinician_id"], passed["via"]) == ("clin-ana", "voice")


def test_a_refused_number_goes_to_the_call_and_a_failed_call_to_the_next_rung(
    stack: LocalStack,
) -> None:
    stack.twilio.fail_next(400, 21614, "'To' number is not a valid mobile number",
                           path_suffix="Messages.json", method="POST")
    stack.twilio.fail_next(400, 13224, "Invalid phone number", path_suffix="Calls.json",
                           method="POST")
    incident_id, _ = open_incident(stack)
    assert rung_reached(stack, incident_id, BEN) < SOON
    (failed,) = entries(stack, incident_id, "page_failed")
    assert failed["error_code"] == 21614
    (call_failed,) = entries(stack, incident_id, "call_failed")
    assert call_failed["error_code"] == 13224


# ---------------------------------------------------------------- Twilio API errors


@pytest.mark.parametrize("failure", ["503", "429", "timeout", "timeout_after_processing"])
def test_transient_twilio_errors_are_retried_without_a_duplicate_page(
    stack: LocalStack, failure: str,
) -> None:
    if failure == "timeout":
        stack.twilio.timeout_next(path_suffix="Messages.json", method="POST")
    elif failure == "timeout_after_processing":
        stack.twilio.timeout_next(2, after_processing=True, path_suffix="Messages.json",
                                  method="POST")
    else:
        stack.twilio.fail_next(int(failure), 20500 if failure == "503" else 20429,
                               "try again", times=2, path_suffix="Messages.json",
                               method="POST")
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 1)
    stack.wait_for(lambda: "paged" in kinds(stack, incident_id), timeout=20)
    sent = [m for m in stack.twilio.messages if m.to == ANA]
    assert len(sent) == 1, f"{failure}: {len(sent)} pages to the primary"
    (paged,) = entries(stack, incident_id, "paged")
    assert paged["message_sid"] == sent[0].sid
    assert not calls_to(stack, ANA)


def test_transient_errors_that_outlast_the_retries_fall_back_to_the_call(
    stack: LocalStack,
) -> None:
    stack.twilio.fail_next(503, 20500, "Service unavailable", times=3,
                           path_suffix="Messages.json", method="POST")
    stack.twilio.call_outcome(ANA, "human", keys="1")
    incident_id, _ = open_incident(stack)
    assert stack.wait_until_done(incident_id, timeout=30) == "SUCCEEDED"
    assert stack.incident(incident_id).accepted_by == "clin-ana"
    (failed,) = entries(stack, incident_id, "page_failed")
    assert failed["error_code"] == 20500 and "3 attempts" in str(failed["reason"])


# ---------------------------------------------------------------- reply codes


def test_pass_by_sms_pages_the_backup_at_once_and_thanks(stack: LocalStack) -> None:
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 1)
    answer = reply(stack, ANA, f"p {code}")
    assert "Thank" in answer or "thank" in answer
    assert rung_reached(stack, incident_id, BEN) < SOON
    (passed,) = entries(stack, incident_id, "passed")
    assert (passed["clinician_id"], passed["via"], passed["position"]) == ("clin-ana", "sms", 0)
    # A second pass, now that Ben is paged, changes nothing.
    again = reply(stack, ANA, f"P {code}")
    assert "changed nothing" in again
    assert len(entries(stack, incident_id, "passed")) == 1
    stack.wait_for(lambda: len(pages(stack, code)) >= 2, timeout=5)
    assert not any(m.to == CARO for m in stack.twilio.messages), "Ben's rung was not skipped"


def test_resolve_stops_the_ladder_and_tells_the_hotline(stack: LocalStack) -> None:
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 1)
    answer = reply(stack, ANA, f"R {code}")
    assert "Resolved" in answer or "resolved" in answer
    assert stack.wait_until_done(incident_id, timeout=30) == "SUCCEEDED"
    incident = stack.incident(incident_id)
    assert (incident.status.value, incident.resolved_by) == ("resolved", "clin-ana")
    assert stack.receiver.events(incident_id) == ["resolved"]
    assert [m.to for m in stack.twilio.messages if m.carries(code)] == [ANA]


def test_bare_a_accepts_the_only_open_page_and_lists_several(stack: LocalStack) -> None:
    first, code1 = open_incident(stack, "evt-1")
    wait_for_pages(stack, code1, 1)
    second, code2 = open_incident(stack, "evt-2")
    wait_for_pages(stack, code2, 1)
    answer = reply(stack, ANA, "A")
    assert code1 in answer and code2 in answer, "several open pages: it lists the codes"
    assert stack.incident(first).status.value == stack.incident(second).status.value \
        == "triggered"
    status = reply(stack, ANA, "status")
    assert code1 in status and code2 in status
    reply(stack, ANA, f"A {code1}")
    answer = reply(stack, ANA, "a")
    assert "Accepted" in answer and code2 in answer
    assert stack.incident(second).accepted_by == "clin-ana"
    assert "no open pages" in reply(stack, BEN, "A")


def test_a_reply_typed_with_a_no_break_space_accepts(stack: LocalStack) -> None:
    """Issue 10: phone keyboards put U+00A0 between the verb and the code; it is a space."""
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 1)
    assert "Accepted" in reply(stack, ANA, f"A\u00a0{code}")
    assert stack.incident(incident_id).accepted_by == "clin-ana"


def test_codes_are_unique_per_clinician_across_concurrent_incidents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ana is primary in two programs whose incidents carry the same codes (100, 101, ...):
    every page she holds still has its own code, and each acceptance changes exactly the
    incident its code names."""
    from crisis_pager.adapters.dynamo.incidents import DynamoIncidents

    counters: dict[str, int] = {}
    lock = threading.Lock()

    def same_codes_in_both_programs(self: object, program_id: str, incident_id: str,
                                    now: object) -> str:
        with lock:
            counters[program_id] = counters.get(program_id, 99) + 1
            return str(counters[program_id])

    monkeypatch.setattr(DynamoIncidents, "claim_code", same_codes_in_both_programs)
    # Twelve ladders at once on two cores: slower ladder time, so no rung times out
    # before its page has gone out.
    with LocalStack(scale=0.02) as stack:
        seed.seed(stack)
        east = {**seed.PROGRAM, "program_id": "east-iop", "display_name": "East IOP"}
        stack.put_items("ProgramsTable", [east] + [
            {**rota, "program_id": "east-iop"} for rota in seed.rotas(stack.clock.now())])
        stack.streams.drain()
        opened: list[tuple[str, str]] = []

        def post(program: str, n: int) -> None:
            incident = open_incident(stack, f"evt-{program}-{n}", program_id=program)
            with lock:
                opened.append(incident)

        threads = [threading.Thread(target=post, args=(p, n))
                   for n in range(6) for p in (seed.PROGRAM_ID, "east-iop")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(code for _, code in opened) == sorted([str(100 + n) for n in range(6)] * 2)
        stack.wait_for(lambda: all("paged" in kinds(stack, i) for i, _ in opened), timeout=60)
        held = {}
        for incident_id, _ in opened:
            (page,) = [e for e in entries(stack, incident_id, "paged") if e["position"] == 0]
            held[incident_id] = str(page["code"])
        assert len(set(held.values())) == 12, f"codes reused among open pages: {held}"
        status = reply(stack, ANA, "STATUS")
        assert all(code in status for code in held.values()) or "more" in status
        for incident_id, code in list(held.items())[:4]:
            assert "Accepted" in reply(stack, ANA, f"A {code}")
            assert stack.incident(incident_id).accepted_by == "clin-ana"
        still_open = [i for i in held if stack.incident(i).status.value == "triggered"]
        assert len(still_open) == 8


# ---------------------------------------------------------------- STOP and START


def test_stop_from_the_on_call_clinician_alerts_admins_and_falls_back_to_voice(
    stack: LocalStack,
) -> None:
    inbox = Inbox(stack)
    stack.twilio.call_outcome(ANA, "human", keys="1")
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 1)

    answer = stack.sms_reply(ANA, "STOP")
    assert answer.status == 200 and "<Message>" not in answer.body, "Twilio answers STOP"
    assert stack.wait_until_done(incident_id, timeout=30) == "SUCCEEDED"
    incident = stack.incident(incident_id)
    assert (incident.accepted_by, entries(stack, incident_id, "accepted")[0]["via"]) == (
        "clin-ana", "voice"), "STOP is not an acceptance: the key on the call is"
    stack.wait_for(lambda: any("STOP" in m["Message"] for m in inbox.messages()), timeout=10)
    alert = next(m for m in inbox.messages() if "STOP" in m["Message"])
    assert "Ana Alvarez" in alert["Message"] and "West IOP" in alert["Message"]
    assert any(m.to == ADMIN and "STOP" in m.body for m in stack.twilio.messages)

    # The next crisis reaches Ana by voice only, until she texts START.
    second, code2 = open_incident(stack, "evt-2")
    wait_for_call(stack, ANA, 2)
    assert not [m for m in stack.twilio.messages if m.to == ANA and m.carries(code2)]
    assert "sms_skipped" in kinds(stack, second)
    assert "on again" in reply(stack, ANA, "START")
    third, code3 = open_incident(stack, "evt-3")
    stack.wait_for(lambda: any(m.to == ANA and m.carries(code3)
                               for m in stack.twilio.messages), timeout=20)


# Not a phone a reply can come from: no From, an empty one, or not E.164.
BAD_SENDERS = [None, "", " ", "abc", "15035550100", "+1 503-555-0100", ANA + "\n",
               "+" + "".join(chr(0x660 + int(d)) for d in ANA[1:]), "+0503555010", "+1" + "5" * 20]


def test_an_sms_from_no_phone_number_is_a_400_and_changes_nothing(stack: LocalStack) -> None:
    """Regression (issue 10): an empty From was a 500 (DynamoDB ValidationException); 'abc'
    texting STOP was recorded as an opt-out of 'abc'. Nobody is answered, nothing written."""
    stack.set_scale(1.0)  # no timer fires while the requests run
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 1)
    with changes_nothing(stack):
        for sender in BAD_SENDERS:
            for body in (f"A {code}", "A", f"P {code}", "STOP", "START", "STATUS", "HELP"):
                form = {"Body": body, "To": TWILIO_FROM, "MessageSid": "SM" + "2" * 32}
                answer = stack.twilio_post("/twilio/sms", form if sender is None
                                           else {**form, "From": sender})
                assert answer.status == 400, (sender, body, answer.body)
                assert "<Message>" not in answer.body and "E.164" in answer.body
    assert stack.incident(incident_id).accepted_by is None
    assert stack.errors == []
    assert "Accepted" in reply(stack, ANA, f"A {code}"), "a real sender still accepts"


def test_status_reports_without_their_message_or_call_sid_change_nothing(
    stack: LocalStack,
) -> None:
    """The same class of input for the status webhook: an empty or missing MessageSid,
    MessageStatus, CallSid or CallStatus is noted (200) and changes nothing."""
    stack.set_scale(1.0)
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 1)
    with changes_nothing(stack):
        for form in ({"MessageSid": "", "MessageStatus": "undelivered", "ErrorCode": "30003"},
                     {"MessageStatus": "failed"}, {"CallSid": "", "CallStatus": "no-answer"},
                     {"CallStatus": "busy"}, {"MessageSid": "", "CallSid": ""}, {}):
            answer = stack.twilio_post(f"/twilio/status/{incident_id}/0", form)
            assert (answer.status, answer.body) == (200, "noted"), form
    assert stack.errors == []


def test_twilio_refusing_an_unsubscribed_number_is_an_opt_out(stack: LocalStack) -> None:
    inbox = Inbox(stack)
    stack.twilio.opt_out(ANA)  # STOP reached Twilio, not us
    stack.twilio.call_outcome(ANA, "no-answer")
    incident_id, _ = open_incident(stack)
    assert rung_reached(stack, incident_id, BEN) < SOON
    assert entries(stack, incident_id, "page_failed")[0]["error_code"] == 21610
    assert len(calls_to(stack, ANA)) == 1
    stack.wait_for(lambda: any("STOP" in m["Message"] for m in inbox.messages()), timeout=10)


# ---------------------------------------------------------------- forged and replayed


def test_forged_status_and_voice_callbacks_are_refused_and_change_nothing(
    stack: LocalStack,
) -> None:
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 1)
    (sms,) = [m for m in stack.twilio.messages if m.to == ANA]
    forged = {"MessageSid": sms.sid, "MessageStatus": "undelivered", "ErrorCode": "30003",
              "To": ANA, "AccountSid": "AC" + "0" * 32}
    status = stack.twilio_post(f"/twilio/status/{incident_id}/0", forged, auth_token="x" * 32)
    key = stack.twilio_post(f"/twilio/voice/{incident_id}/0/key",
                            {"Digits": "1", "CallSid": "CA" + "1" * 32}, auth_token="y" * 32)
    assert (status.status, key.status) == (403, 403)
    assert "page_undelivered" not in kinds(stack, incident_id) and not calls_to(stack, ANA)
    assert stack.incident(incident_id).accepted_by is None
    # A report signed for one page cannot be moved to another page's URL.
    genuine = stack.twilio_post(f"/twilio/status/{incident_id}/0", forged)
    moved = stack.api("POST", f"/twilio/status/{incident_id}/1", genuine.body,
                      {"X-Twilio-Signature": "copied"})
    assert (genuine.status, moved.status) == (200, 403)
    wait_for_call(stack, ANA)
    assert len(entries(stack, incident_id, "page_undelivered")) == 1, "only the genuine one"


# Each form would change the waiting page 0 if its position were read as 0.
MALFORMED = {
    "status": ("/twilio/status/{}/{}", {"MessageSid": "", "MessageStatus": "undelivered",
                                        "ErrorCode": "30003"}),
    "answered": ("/twilio/voice/{}/{}", {"CallSid": "CA" + "1" * 32, "CallStatus": "in-progress",
                                         "AnsweredBy": "machine_start"}),
    "key": ("/twilio/voice/{}/{}/key", {"CallSid": "CA" + "1" * 32, "Digits": "1"}),
}


@pytest.mark.parametrize("webhook", list(MALFORMED))
def test_a_malformed_position_is_a_404_and_changes_nothing(stack: LocalStack,
                                                           webhook: str) -> None:
    """Regression (issue 10): positions went through ``isdigit``: "٠" was read as rung 0 (a
    report failed, a machine answered or a key accepted page 0) and "²" crashed ``int``."""
    stack.set_scale(1.0)  # no timer fires while the requests run
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 1)
    (sms,) = [m for m in stack.twilio.messages if m.to == ANA]
    path, form = MALFORMED[webhook]
    form = {**form, "MessageSid": sms.sid} if "MessageSid" in form else form
    with changes_nothing(stack):
        for position in ("٠", "²", "0²", "00", "-0", "+0", "０"):
            answer = stack.twilio_post(path.format(incident_id, position), form)
            assert (answer.status, answer.body) == (404, "no such page"), position
    assert stack.incident(incident_id).accepted_by is None
    assert "call_machine" not in kinds(stack, incident_id)
    assert stack.errors == []


def test_a_replayed_status_report_changes_nothing(stack: LocalStack) -> None:
    stack.twilio.call_outcome(ANA, "no-answer")
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 1)
    (sms,) = [m for m in stack.twilio.messages if m.to == ANA]
    report = {"MessageSid": sms.sid, "MessageStatus": "undelivered", "ErrorCode": "30003",
              "To": ANA, "AccountSid": "AC" + "0" * 32}
    first = stack.twilio_post(f"/twilio/status/{incident_id}/0", report)
    replay = stack.twilio_post(f"/twilio/status/{incident_id}/0", report)
    assert (first.status, replay.status) == (200, 200)
    assert replay.body == "duplicate"
    stack.wait_for(lambda: any(m.to == BEN for m in stack.twilio.messages), timeout=20)
    assert len(calls_to(stack, ANA)) == 1
    assert len(entries(stack, incident_id, "page_undelivered")) == 1


# ---------------------------------------------------------------- what Twilio is asked


def test_sends_use_the_messaging_service_a_validity_period_and_status_callbacks(
    stack: LocalStack,
) -> None:
    stack.twilio.sms_outcome(ANA, "undelivered", 30003)
    incident_id, code = open_incident(stack)
    wait_for_call(stack, ANA)
    (sms,) = [m for m in stack.twilio.messages if m.to == ANA]
    assert sms.messaging_service_sid and sms.messaging_service_sid.startswith("MG")
    assert str(sms.params["ValidityPeriod"]) == str(WINDOW)
    assert sms.status_callback == stack.public_base_url + f"/twilio/status/{incident_id}/0"
    (call,) = calls_to(stack, ANA)
    assert call.params["MachineDetection"] == "Enable"
    assert call.url == stack.public_base_url + f"/twilio/voice/{incident_id}/0"
    for text in [sms.body, *stack.twilio.transcript(call.sid).said]:
        assert SUMMARY not in text and PARTICIPANT_REF not in text and "Maria" not in text


def test_a_replayed_key_press_changes_nothing(stack: LocalStack) -> None:
    """Twilio's signature has no timestamp, so a captured request can be sent again: the
    page's state makes a replayed key press a no-op."""
    stack.twilio.sms_outcome(ANA, "undelivered", 30003)
    stack.twilio.call_outcome(ANA, "human", keys="2")
    incident_id, _ = open_incident(stack)
    assert rung_reached(stack, incident_id, BEN) < SOON
    stack.twilio.drain()
    (press,) = [w for w in stack.twilio.webhooks if w.url.endswith(f"/{incident_id}/0/key")]
    replay = stack.api("POST", f"/twilio/voice/{incident_id}/0/key",
                       urlencode(press.params), press.headers)
    assert replay.status == 200 and "Passed" not in replay.body
    assert len(entries(stack, incident_id, "passed")) == 1
    stack.wait_for(lambda: stack.incident(incident_id).position >= 1, timeout=5)
    assert stack.incident(incident_id).position == 1, "the replay skipped no rung"
    assert not any(m.to == CARO for m in stack.twilio.messages)
