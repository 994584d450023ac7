"""`make demo`: four crises on the local stack, each printed as a timeline in ladder time.

1. Imminent, nobody answers: the primary by SMS and a call at once at 0:00, backup at
   3:00, supervisor at 6:00, the local emergency referral at 10:00 from the participant's
   last confirmed location and its local resources; the hotline gets it (signed), the
   42 CFR Part 2 emergency disclosure is recorded, the consenting support person gets a
   PHI-free text, and the supervisor stays paged.
2. The backup accepts at 6:30 by SMS: the ladder stops and nobody else is paged.
3. The primary's SMS is undelivered (carrier filtering): the voice call that follows
   reaches voicemail, which never accepts, and the backup is paged within seconds.
4. High: the primary accepts, opens the secure brief, resolves it; then follows up with
   the participant (one attempt, then done) well within the 24 hours.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta
from typing import Any

from local import seed
from local.stack import LocalStack

SCALE = 0.002  # one ladder second lasts 2 ms: a 45-minute ladder runs in about 6 s


def clock_text(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m:2d}:{s:02d}"


def render(stack: LocalStack, incident_id: str, title: str) -> list[str]:
    incident = stack.incident(incident_id)
    opened: datetime = incident.opened_at
    texts = {m.sid: m for m in stack.twilio.messages}
    lines = [title, "-" * len(title)]
    for entry in stack.timeline(incident_id):
        at = datetime.fromisoformat(entry["at"])
        t = clock_text((at - opened).total_seconds())
        kind = entry["kind"]
        if kind == "opened":
            detail = (f"incident {entry['code']} opened ({entry['severity']}); "
                      f"{entry['rungs']} rungs")
        elif kind == "paged":
            who = seed.name_of(entry["clinician_id"])
            sms = texts.get(entry.get("message_sid", ""))
            detail = f"SMS to {entry['target']:<10} {who:<15} \"{sms.body if sms else '?'}\""
        elif kind == "rung_skipped":
            detail = f"skipped {entry['target']}: {entry['reason']}"
        elif kind == "accepted":
            how = "a key on the call" if entry.get("via") == "voice" else "reply by SMS"
            detail = f"ACCEPTED by {seed.name_of(entry['clinician_id'])} ({how})"
        elif kind == "page_delivered":
            detail = "  Twilio: delivered to the handset"
        elif kind == "page_undelivered":
            detail = (f"  Twilio: SMS {entry['status']} (error {entry.get('error_code')}): "
                      "falling back to a voice call")
        elif kind == "called":
            detail = (f"CALL to {entry['target']:<10} {seed.name_of(entry['clinician_id']):<15} "
                      f"({entry['reason']})")
        elif kind == "call_machine":
            detail = "  the call reached voicemail: it hears nothing and cannot accept"
        elif kind == "call_ended":
            ladder = entry.get("ladder")
            after = {"moves on": "; the ladder moves on now"}.get(str(ladder), "")
            if ladder and not after:
                after = f"; the ladder {ladder}"
            detail = f"  call ended: {entry['status']}{after}"
        elif kind in ("passed", "resolved"):
            detail = f"{kind.upper()} by {seed.name_of(entry['clinician_id'])} ({entry['via']})"
        elif kind == "referred":
            detail = (f"LOCAL EMERGENCY REFERRAL ({entry['source']}): crisis line "
                      f"{entry.get('crisis_line')}, mobile crisis team "
                      f"{entry.get('mobile_crisis_team')}, emergency department "
                      f"{entry.get('emergency_department_phone')}, local emergency call "
                      f"center {entry.get('emergency_call_center', 'not on file')}")
        elif kind == "emergency_disclosure":
            detail = (f"42 CFR 2.51 disclosure recorded: to {entry['recipient']} "
                      f"({entry['recipient_affiliation']}); by {entry['disclosed_by']}; "
                      f"nature: {entry['nature_of_emergency']}; disclosed: "
                      + ", ".join(f.removeprefix("referral.")
                                  for f in entry["information_disclosed"]
                                  if f.startswith("referral.")))
        elif kind == "support_person_notified":
            detail = (f"support person #{entry['support_index']} texted (consent on file; "
                      "the text names no one and nothing clinical)")
        elif kind == "brief_previewed":
            detail = (f"the secure link was fetched: its first page only (no details), "
                      f"for {seed.name_of(entry['clinician_id'])}; logged")
        elif kind == "brief_opened":
            detail = (f"{seed.name_of(entry['clinician_id'])} opened the secure brief "
                      f"({entry.get('format')}; logged)")
        elif kind == "follow_up_due":
            detail = f"FOLLOW-UP due in 24 h, owned by {seed.name_of(entry['owner'])}"
        elif kind == "follow_up_attempt":
            detail = f"follow-up contact attempt {entry['attempt']} of 3 recorded"
        elif kind == "follow_up_done":
            detail = f"FOLLOW-UP DONE by {seed.name_of(entry['clinician_id'])}"
        elif kind == "callback_sent":
            detail = (f"hotline told '{entry['event']}' "
                      f"(signed callback, HTTP {entry['http_status']})")
        elif kind == "ladder_exhausted":
            detail = "ladder finished with nobody accepting; the incident stays referred"
        else:
            detail = ", ".join(f"{k}={v}" for k, v in entry.items() if k not in ("at", "kind"))
        lines.append(f"  {t}  {detail}")
    return lines


def scenario_nobody_answers(stack: LocalStack) -> list[str]:
    incident_id, code = _report(
        stack, "hotline-evt-1001", "imminent", seed.DEMO_PARTICIPANT_ID,
        "Caller reports active thoughts of self-harm; safety plan step 3 tried.")
    caro = seed.phone_of("clin-caro")
    # After the referral the supervisor is paged every 5 minutes until someone accepts;
    # the demo stops at the first of those pages.
    stack.wait_for(lambda: any(m.to == caro and "REFERRED" in m.body and m.carries(code)
                               for m in stack.twilio.messages), timeout=120)
    stack.twilio.drain()
    stack.stop_executions()
    status = "stopped by the demo after the first repeat page"
    lines = render(stack, incident_id,
                   "Scenario 1: imminent, nobody answers: the referral from the participant's "
                   "location")
    callback = next(c for c in stack.receiver.callbacks
                    if c.payload["incident_id"] == incident_id
                    and c.payload["event"] == "referred")
    referral = callback.payload["referral"]
    lines.append(f"  the hotline's referral (signed: {callback.verified}): "
                 f"{referral.get('location_description')} confirmed "
                 f"{referral.get('location_confirmed_at', '?')[:16]}, nearest ED "
                 f"{referral.get('emergency_department')}")
    texts = [m for m in stack.twilio.messages if m.to == seed.SUPPORT_CONSENTING_PHONE]
    lines.append(f"  the consenting support person's text: \"{texts[0].body if texts else '-'}\"")
    lines.append(f"  ladder {status}; hotline callbacks: "
                 f"{', '.join(stack.receiver.events(incident_id))}")
    return lines


def scenario_backup_accepts(stack: LocalStack) -> list[str]:
    incident_id, code = _report(stack, "hotline-evt-1002", "high", "p-21be04",
                                "Missed two sessions; distress check-in scored high.")
    _until(stack, stack.incident(incident_id).opened_at, 6 * 60 + 30)
    answer = stack.sms_reply(seed.phone_of("clin-ben"), f"A {code}")
    status = stack.wait_until_done(incident_id, timeout=60)
    pages_after = [m for m in stack.twilio.messages if m.carries(code) and
                   m.to == seed.phone_of("clin-caro")]
    lines = render(stack, incident_id, "Scenario 2: the backup accepts at 6:30 by SMS")
    lines.append(f"  Ben's reply \"A {code}\" was answered: "
                 f"{_shorten(_twiml_text(answer.body))!r}")
    lines.append(f"  ladder {status.lower()}; supervisor pages for {code}: {len(pages_after)}; "
                 f"hotline callbacks: {', '.join(stack.receiver.events(incident_id))}")
    return lines


def scenario_undelivered(stack: LocalStack) -> list[str]:
    ana, ben = seed.phone_of("clin-ana"), seed.phone_of("clin-ben")
    stack.twilio.sms_outcome(ana, "undelivered", 30007)  # carrier filtering
    stack.twilio.call_outcome(ana, "machine")
    incident_id, code = _report(stack, "hotline-evt-1003", "high", "p-5d10e2",
                                "Distress check-in: plan and means disclosed.")
    stack.wait_for(lambda: any(m.to == ben and m.carries(code) for m in stack.twilio.messages),
                   timeout=60)
    answer = stack.sms_reply(ben, f"A {code}")
    status = stack.wait_until_done(incident_id, timeout=60)
    stack.twilio.drain()
    stack.twilio.sms_outcome(ana, "delivered")  # Ana's phone works again for scenario 4
    stack.twilio.call_outcome(ana, "no-answer")
    lines = render(stack, incident_id,
                   "Scenario 3: the primary's SMS is undelivered; the backup within seconds")
    lines.append(f"  Ben's reply \"A {code}\" was answered: "
                 f"{_shorten(_twiml_text(answer.body))!r}")
    lines.append(f"  ladder {status.lower()}; hotline callbacks: "
                 f"{', '.join(stack.receiver.events(incident_id))}")
    return lines


def scenario_followed_up(stack: LocalStack) -> list[str]:
    ana = seed.phone_of("clin-ana")
    incident_id, code = _report(stack, "hotline-evt-1004", "high", seed.DEMO_PARTICIPANT_ID,
                                "Distress check-in scored high after a missed session.")
    opened = stack.incident(incident_id).opened_at
    _until(stack, opened, 70)
    accepted = _twiml_text(stack.sms_reply(ana, f"A {code}").body)
    link = re.search(r"https?://\S+", accepted)
    brief = "(no link)"
    if link:
        path = link.group(0).removeprefix(stack.public_base_url)
        page = stack.api("POST", path, "action=open",
                         {"Content-Type": "application/x-www-form-urlencoded"})
        brief = f"HTTP {page.status}, {len(page.body)} bytes of HTML, never in any SMS"
    stack.wait_until_done(incident_id, timeout=60)
    resolved = _twiml_text(stack.sms_reply(ana, f"R {code}").body)
    resolved_at = stack.incident(incident_id).resolved_at
    _until(stack, resolved_at, 25 * 60)
    stack.sms_reply(ana, f"F {code} tried")
    _until(stack, resolved_at, 95 * 60)
    done = _twiml_text(stack.sms_reply(ana, f"F {code} done").body)
    lines = render(stack, incident_id,
                   "Scenario 4: high, accepted, resolved, and followed up the same day")
    lines.append(f"  Ana's acceptance answer: {_shorten(accepted)!r}")
    lines.append(f"  the secure brief: {brief}")
    lines.append(f"  Ana's resolution answer: {_shorten(resolved)!r}")
    lines.append(f"  Ana's \"F {code} done\" answer: {done!r}")
    return lines


def _report(stack: LocalStack, event_id: str, severity: str, participant_ref: str,
            summary: str) -> tuple[str, str]:
    """The hotline reports a crisis, signed, with its callback URL: (incident id, code)."""
    body = stack.post_escalation({
        "program_id": seed.PROGRAM_ID, "severity": severity,
        "participant_ref": participant_ref, "event_id": event_id,
        "callback_url": stack.receiver.url, "summary": summary,
    }).json()
    return body["incident_id"], body["code"]


def _until(stack: LocalStack, start: datetime | None, seconds: float) -> None:
    """Let ladder time run to `seconds` after `start` (fast while every ladder sleeps):
    the demo sleeps on the ladder clock, which stops exactly there."""
    assert start is not None
    with stack.clock.working():
        stack.clock.sleep_until(start + timedelta(seconds=seconds))


def _shorten(text: str) -> str:
    """The answer with its link's token hidden: a demo's output is often shared."""
    return re.sub(r"(/brief/[^/\s]+/)\S+", r"\1<token>", text)


def _twiml_text(twiml: str) -> str:
    import xml.etree.ElementTree as ET  # noqa: N817

    node = ET.fromstring(twiml).find("Message")  # noqa: S314 (our own TwiML)
    return node.text or "" if node is not None else ""


def main(argv: list[str] | None = None) -> int:
    with LocalStack(scale=SCALE) as stack:
        seed.seed(stack)
        out: list[Any] = []
        out += scenario_nobody_answers(stack)
        out.append("")
        out += scenario_backup_accepts(stack)
        out.append("")
        out += scenario_undelivered(stack)
        out.append("")
        out += scenario_followed_up(stack)
        stack.stop_executions()  # the follow-up's timer would wake in 24 ladder hours
        errors = list(stack.errors)
    print("\n".join(out))
    print()
    print(f"(local stack: moto + the real ASL; one ladder minute = {SCALE * 60:.2f} s wall)")
    if errors:
        print(f"handler errors: {errors}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
