"""`make demo`: two crises on the local stack, each printed as a timeline in ladder time.

1. Nobody answers: primary at 0:00, backup at 5:00, supervisor at 10:00, the local
   emergency referral at 15:00 (the supervisor stays paged after it).
2. The backup accepts at 6:30 by SMS: the ladder stops and nobody else is paged.
3. The primary's SMS is undelivered (carrier filtering): the voice call that follows
   reaches voicemail, which never accepts, and the backup is paged within seconds.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
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
            detail = (f"CALL to {entry['target']:<9} {seed.name_of(entry['clinician_id']):<15} "
                      f"({entry['reason']})")
        elif kind == "call_machine":
            detail = "  the call reached voicemail: it hears nothing and cannot accept"
        elif kind == "call_ended":
            moves = "; the ladder moves on now" if entry.get("ladder") else ""
            detail = f"  call ended: {entry['status']}{moves}"
        elif kind in ("passed", "resolved"):
            detail = f"{kind.upper()} by {seed.name_of(entry['clinician_id'])} ({entry['via']})"
        elif kind == "referred":
            detail = (f"LOCAL EMERGENCY REFERRAL: crisis line {entry['crisis_line']}, mobile "
                      f"crisis team {entry['mobile_crisis_team']}, "
                      f"{entry['emergency_department']} {entry['emergency_department_phone']}")
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
    response = stack.post_escalation({
        "program_id": seed.PROGRAM_ID, "severity": "high", "participant_ref": "p-7f3a9c",
        "event_id": "hotline-evt-1001", "callback_url": stack.receiver.url,
        "summary": "Caller reports active thoughts of self-harm; safety plan step 3 tried.",
    })
    incident_id = response.json()["incident_id"]
    status = stack.wait_until_done(incident_id, timeout=120)
    lines = render(stack, incident_id, "Scenario 1: nobody answers (high severity)")
    lines.append(f"  ladder {status.lower()}; hotline callbacks: "
                 f"{', '.join(stack.receiver.events(incident_id))}")
    return lines


def scenario_backup_accepts(stack: LocalStack) -> list[str]:
    response = stack.post_escalation({
        "program_id": seed.PROGRAM_ID, "severity": "high", "participant_ref": "p-21be04",
        "event_id": "hotline-evt-1002", "callback_url": stack.receiver.url,
        "summary": "Missed two sessions; distress check-in scored high.",
    })
    body = response.json()
    incident_id, code = body["incident_id"], body["code"]
    opened = stack.incident(incident_id).opened_at
    while (stack.clock.now() - opened).total_seconds() < 6 * 60 + 30:
        time.sleep(0.001)
    answer = stack.sms_reply(seed.phone_of("clin-ben"), f"A {code}")
    status = stack.wait_until_done(incident_id, timeout=60)
    pages_after = [m for m in stack.twilio.messages if code in m.body and
                   m.to == seed.phone_of("clin-caro")]
    lines = render(stack, incident_id, "Scenario 2: the backup accepts at 6:30 by SMS")
    lines.append(f"  Ben's reply \"A {code}\" was answered: {_twiml_text(answer.body)!r}")
    lines.append(f"  ladder {status.lower()}; supervisor pages for {code}: {len(pages_after)}; "
                 f"hotline callbacks: {', '.join(stack.receiver.events(incident_id))}")
    return lines


def scenario_undelivered(stack: LocalStack) -> list[str]:
    ana, ben = seed.phone_of("clin-ana"), seed.phone_of("clin-ben")
    stack.twilio.sms_outcome(ana, "undelivered", 30007)  # carrier filtering
    stack.twilio.call_outcome(ana, "machine")
    response = stack.post_escalation({
        "program_id": seed.PROGRAM_ID, "severity": "high", "participant_ref": "p-5d10e2",
        "event_id": "hotline-evt-1003", "callback_url": stack.receiver.url,
        "summary": "Distress check-in: plan and means disclosed.",
    })
    body = response.json()
    incident_id, code = body["incident_id"], body["code"]
    stack.wait_for(lambda: any(m.to == ben and code in m.body for m in stack.twilio.messages),
                   timeout=60)
    answer = stack.sms_reply(ben, f"A {code}")
    status = stack.wait_until_done(incident_id, timeout=60)
    stack.twilio.drain()
    lines = render(stack, incident_id,
                   "Scenario 3: the primary's SMS is undelivered; the backup within seconds")
    lines.append(f"  Ben's reply \"A {code}\" was answered: {_twiml_text(answer.body)!r}")
    lines.append(f"  ladder {status.lower()}; hotline callbacks: "
                 f"{', '.join(stack.receiver.events(incident_id))}")
    return lines


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
