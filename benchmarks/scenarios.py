"""2, 3 and 7: the incidents the stack figures come from (no answer, acceptances, a low task
after hours, imminent pages, a follow-up) on the local stack."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from typing import Any

from benchmarks.common import ACCEPT_RUNS, AFTER_HOURS, IMMINENT_RUNS, SCALE
from benchmarks.containers import Invocation, Recorder, wait_done


def _escalation(stack: Any, n: int, **overrides: Any) -> dict[str, Any]:
    """A `high` escalation for the demo's participant (a safety plan, a support person who
    consented, a location confirmed today): what the referral and the brief read."""
    from local import seed

    return {"program_id": seed.PROGRAM_ID, "severity": "high",
            "participant_ref": seed.DEMO_PARTICIPANT_ID, "event_id": f"bench-evt-{n}",
            "callback_url": stack.receiver.url,
            "summary": "Benchmark escalation; no participant data.", **overrides}


def _seed_after_hours(stack: Any) -> None:
    """A second program, the demo's rotas, whose only business hours are two days from
    today: a `low` task opened now waits for them whatever the time of day of the run."""
    from zoneinfo import ZoneInfo

    from local import seed

    now = stack.clock.now()
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[
        (now.astimezone(ZoneInfo(seed.TIMEZONE)).weekday() + 2) % 7]
    program = {**seed.PROGRAM, "program_id": AFTER_HOURS, "display_name": "Bench after hours",
               "business_hours": f"{day} 09:00-17:00", "timezone": seed.TIMEZONE}
    stack.put_items("ProgramsTable", [program, *({**r, "program_id": AFTER_HOURS}
                                                 for r in seed.rotas(now))])
    streams = getattr(stack, "streams", None)
    if streams is not None:  # the rota guard reads the new items before anything is measured
        streams.drain(flush=True)


def _await(rec: Recorder, mark: int, match: Callable[[Invocation], bool], what: str,
           timeout: float = 30) -> Invocation:
    """The first invocation since ``mark`` that ``match`` accepts (records are appended when
    an invocation ends)."""
    deadline = time.monotonic() + timeout
    while True:
        found = next((r for r in rec.since(mark) if match(r)), None)
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"never saw {what}")
        time.sleep(0.001)


BRIEF_LINK = re.compile(r"https?://[^\s<]+(/brief/[^/\s<]+/[A-Za-z0-9_-]+)")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _twiml_text(answer: Any) -> str:
    return unescape(re.sub(r"<[^>]+>", "", answer.body)).strip()


@dataclass
class LadderFigures:
    status: str
    wall_s: float
    ladder_s: float
    pages: int
    records: list[Invocation]
    local_referral: bool  # the hotline's referral used the participant's local resources
    support_texts: int  # SMS to the participant's consenting support person


@dataclass
class AcceptFigures:
    status: str
    answer: str
    intake: Invocation
    page: Invocation
    sms: Invocation
    after: list[Invocation]
    # the link in the acceptance SMS: GET (the PHI-free interstitial), then POST action=open
    preview: Invocation | None = None
    opened: Invocation | None = None
    preview_ok: bool = False  # 200, the Open button, nothing of the plan
    opened_ok: bool = False  # 200 and the participant's safety plan


@dataclass
class ImminentFigures:
    advance: Invocation  # the first rung's decision
    page: Invocation  # the primary's SMS and the call at once
    webhooks: list[Invocation]  # Twilio's reports and the call's TwiML until the SMS reply
    outcome: str | None
    calls_placed: int


@dataclass
class FollowUpFigures:
    resolve: Invocation  # sms_inbound 'R <code>': resolve, the follow-up execution, a link
    resolved_answer: str
    wait: Invocation  # the follow-up execution's first advance: sleep until it is due
    tried: Invocation
    tried_answer: str
    done: Invocation
    done_answer: str


@dataclass
class CareFigures:
    low_wait: Invocation  # advance for a low task after business hours
    imminent: list[ImminentFigures]
    follow_up: FollowUpFigures


@dataclass
class StackFigures:
    up_s: float
    ladder: LadderFigures
    accepts: list[AcceptFigures]  # the first one's sms_inbound is cold, the rest warm
    care: CareFigures
    records: list[Invocation]  # every invocation, in order of completion
    errors: list[tuple[str, BaseException]]

    @property
    def cold_accept(self) -> AcceptFigures:
        return self.accepts[0]

    @property
    def warm_accept(self) -> AcceptFigures:
        return self.accepts[-1]


def run_no_answer(stack: Any, rec: Recorder) -> LadderFigures:
    """The first invocation of every function here is its cold start."""
    from local import seed

    mark = len(rec.records)
    started = time.perf_counter()
    response = stack.post_escalation(_escalation(stack, 1))
    incident_id = response.json()["incident_id"]
    status = wait_done(stack, incident_id, timeout=120)
    wall = time.perf_counter() - started
    opened = stack.incident(incident_id).opened_at
    last = datetime.fromisoformat(stack.timeline(incident_id)[-1]["at"])
    records = rec.since(mark)
    referral = next((c.payload.get("referral") or {} for c in stack.receiver.callbacks
                     if c.payload.get("incident_id") == incident_id
                     and c.payload.get("event") == "referred"), {})
    local = referral.get("emergency_department") == seed.DEMO_LOCATION["emergency_department"]
    texts = sum(1 for m in stack.twilio.messages if m.to == seed.SUPPORT_CONSENTING_PHONE)
    return LadderFigures(status, wall, (last - opened).total_seconds(),
                         sum(1 for r in records if r.folder == "page_rung"), records, local,
                         texts)


def run_acceptance(stack: Any, rec: Recorder, n: int) -> AcceptFigures:
    """Open a `high` incident, wait for the primary's page, accept it by SMS at once; then
    open the link in the answer as the clinician's phone would (GET), and press Open."""
    from local import seed

    mark = len(rec.records)
    body = stack.post_escalation(_escalation(stack, n)).json()
    incident_id, code = body["incident_id"], body["code"]
    _await(rec, mark, lambda r: r.folder == "page_rung", "the primary's page")
    reply_mark = len(rec.records)
    answer = stack.sms_reply(seed.phone_of("clin-ana"), f"A {code}")
    status = wait_done(stack, incident_id, timeout=60)
    before, after = rec.since(mark)[: reply_mark - mark], rec.since(reply_mark)
    sms = next(r for r in after if r.folder == "sms_inbound")
    figures = AcceptFigures(
        status=status,
        answer=answer.body,
        intake=next(r for r in before if r.folder == "hotline_intake"),
        page=next(r for r in before if r.folder == "page_rung"),
        sms=sms,
        after=[r for r in after if r is not sms],
    )
    link = BRIEF_LINK.search(unescape(answer.body))
    if link:
        brief_mark = len(rec.records)
        preview = stack.api("GET", link[1])
        opened = stack.api("POST", link[1], "action=open", FORM)
        mine = [r for r in rec.since(brief_mark) if r.folder == "clinician_brief"]
        figures.preview, figures.opened = mine[0], mine[1]
        plan = seed.participants(stack.clock.now())[0]["safety_plan"]["warning_signs"][0]
        figures.preview_ok = (preview.status == 200 and 'value="open"' in preview.body
                              and plan not in unescape(preview.body))
        figures.opened_ok = opened.status == 200 and plan in unescape(opened.body)
    return figures


def run_low_after_hours(stack: Any, rec: Recorder, n: int) -> Invocation:
    """A `low` task for the after-hours program: its first advance answers `wait` (the
    Sleep state until the program opens); the execution is stopped there."""
    mark = len(rec.records)
    stack.post_escalation(_escalation(stack, n, severity="low", program_id=AFTER_HOURS))
    step = _await(rec, mark, lambda r: r.folder == "advance", "the low task's advance")
    stack.stop_executions()  # it would sleep until the program opens, two days away
    return step


def run_imminent(stack: Any, rec: Recorder, n: int) -> ImminentFigures:
    """An `imminent` incident: the primary is texted and called at once; once the call's
    reports are in, the primary accepts by SMS."""
    from local import seed

    mark = len(rec.records)
    calls_before = len(stack.twilio.calls)
    body = stack.post_escalation(_escalation(stack, n, severity="imminent")).json()
    incident_id, code = body["incident_id"], body["code"]
    page = _await(rec, mark, lambda r: r.folder == "page_rung", "the imminent page")
    try:
        stack.twilio.drain(timeout=10.0)  # the SMS's and the call's reports
    except TimeoutError:
        pass
    reply_mark = len(rec.records)
    stack.sms_reply(seed.phone_of("clin-ana"), f"A {code}")
    wait_done(stack, incident_id, timeout=60)
    before = rec.since(mark)[: reply_mark - mark]
    advance = next(r for r in before if r.folder == "advance")
    after_page = before[next(i for i, r in enumerate(before) if r is page) + 1:]
    webhooks = [r for r in after_page if r.folder in ("twilio_status", "twilio_voice")]
    return ImminentFigures(advance, page, webhooks, page.action,
                           len(stack.twilio.calls) - calls_before)


def run_follow_up(stack: Any, rec: Recorder, n: int) -> FollowUpFigures:
    """A `high` incident accepted, then resolved by SMS (which starts the follow-up's own
    execution and texts its link), a contact attempt and the follow-up done by SMS."""
    from local import seed

    ana = seed.phone_of("clin-ana")
    mark = len(rec.records)
    body = stack.post_escalation(_escalation(stack, n)).json()
    incident_id, code = body["incident_id"], body["code"]
    _await(rec, mark, lambda r: r.folder == "page_rung", "the follow-up run's page")
    stack.sms_reply(ana, f"A {code}")
    wait_done(stack, incident_id, timeout=60)

    def reply(text: str) -> tuple[Invocation, str, int]:
        at = len(rec.records)
        answer = stack.sms_reply(ana, text)
        return next(r for r in rec.since(at) if r.folder == "sms_inbound"), \
            _twiml_text(answer), at

    resolve, resolved, at = reply(f"R {code}")
    wait = _await(rec, at, lambda r: r.folder == "advance", "the follow-up's first advance")
    tried, tried_answer, _ = reply(f"F {code} tried")
    done, done_answer, _ = reply(f"F {code} done")
    stack.stop_executions()  # the follow-up's Sleep would wake in 24 ladder hours
    return FollowUpFigures(resolve, BRIEF_LINK.sub(r"<link>", resolved), wait, tried,
                           tried_answer, done, done_answer)


def measure_stack() -> StackFigures:
    from local import seed
    from local.stack import LocalStack

    started = time.perf_counter()
    with LocalStack(scale=SCALE) as stack:
        up = time.perf_counter() - started
        seed.seed(stack)
        _seed_after_hours(stack)
        rec = Recorder(stack)
        with rec.installed():
            ladder = run_no_answer(stack, rec)
            accepts = [run_acceptance(stack, rec, n) for n in range(2, 3 + ACCEPT_RUNS)]
            n = 3 + ACCEPT_RUNS
            care = CareFigures(
                low_wait=run_low_after_hours(stack, rec, n),
                imminent=[run_imminent(stack, rec, n + 1 + i) for i in range(IMMINENT_RUNS)],
                follow_up=run_follow_up(stack, rec, n + 1 + IMMINENT_RUNS),
            )
            records = rec.since(0)
        errors = list(stack.errors)
    return StackFigures(up, ladder, accepts, care, records, errors)
