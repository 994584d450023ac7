"""The invariants, checked from what the system recorded (history.History), never from
what the generator meant to happen. Each returns a Result: how many incidents it checked,
and each violation with its incident."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.soak.history import History

# Ladder time each severity's default ladder takes to reach its referral (domain/ladder.py:
# imminent 3+3+4 min, high 5+5+5, moderate 15+15+30); low never refers.
REFERRAL_BOUND_S = {"imminent": 600, "high": 900, "moderate": 3600}
# Ladder seconds allowed beyond the bound. On the local stack ladder time runs at real
# speed while any handler runs, so each of the 3 rungs before a referral adds the real time
# of its handlers on a loaded 2-core machine (advance, page_rung, a status report: up to a
# few seconds), Twilio retry backoff (at most 2 x 1.25 s) and a crashed page_rung's Retry
# (2 s + 4 s): about 15 s a rung, 60 s in all. On AWS the same work is well under a second.
SLACK_S = 60
FINAL = {"accepted", "resolved", "referred"}
# Participant details as the soak makes them (history texts are scanned for these).
PII = re.compile(r"PII\d+n\d+|ptc-S\d+-N\d+|pills saved|sister Rosa|screener"
                 r'|"[1-6]":\s*(?:true|false)', re.IGNORECASE)


@dataclass
class Result:
    name: str
    checked: int = 0
    violations: list[tuple[str | None, str]] = field(default_factory=list)
    at_least_once: int = 0  # invariant 3: duplicates that are exactly the documented window

    def fail(self, incident_id: str | None, detail: str) -> None:
        self.violations.append((incident_id, detail))


def one_incident_one_ladder(h: History) -> Result:
    """1. Every 202 has exactly one incident and one ladder; every incident ends accepted,
    resolved or referred."""
    r = Result("1 one incident, one ladder, a final status")
    by_event: dict[str, set[str | None]] = defaultdict(set)
    for post in h.posts:
        if post.status == 202:
            by_event[post.event_id].add(post.incident_id)
    stored: dict[str, list[str]] = defaultdict(list)
    for inc in h.incidents.values():
        stored[inc.event_id].append(inc.incident_id)
    for event_id, answered in sorted(by_event.items()):
        r.checked += 1
        (first, *_) = sorted(answered, key=str)
        if len(answered) != 1 or first is None:
            r.fail(first, f"event {event_id}: 202s named {sorted(map(str, answered))}")
            continue
        if stored.get(event_id) != [first]:
            r.fail(first, f"event {event_id}: incidents stored {stored.get(event_id)}")
        if h.executions.get(first, 0) != 1:
            r.fail(first, f"{h.executions.get(first, 0)} ladders (executions) named so")
        inc = h.incidents.get(first)
        if inc is not None and inc.status not in FINAL:
            r.fail(first, f"ended {inc.status}")
    return r


def _pages(h: History) -> dict[str, list]:
    pages: dict[str, list] = defaultdict(list)
    for send in h.sends:
        if send.incident_id is not None and send.position is not None:
            pages[send.incident_id].append(send)
    return pages


def _crisis(position: int) -> bool:
    from crisis_pager.domain.incident import is_follow_up

    return not is_follow_up(position)


def no_page_after_acceptance(h: History) -> Result:
    """2. No page (SMS or call) for an incident after its acceptance was recorded."""
    r = Result("2 no page after acceptance")
    pages = _pages(h)
    for inc in h.incidents.values():
        if inc.accepted_at is None:
            continue
        r.checked += 1
        for send in pages.get(inc.incident_id, []):
            if _crisis(send.position) and send.at > inc.accepted_at:
                r.fail(inc.incident_id, f"{send.kind} to {send.to} at rung {send.position}, "
                       f"{send.at - inc.accepted_at:.2f} ladder s after the acceptance")
    return r


def one_page_per_rung(h: History) -> Result:
    """3. At most one page per incident, rung, phone and channel, except the documented
    at-least-once window (Twilio took the request but its caller never saw the answer:
    a timeout whose lookup failed, or a Lambda that died before recording it)."""
    r = Result("3 one page per incident, rung and phone")
    pages = _pages(h)
    for incident_id in h.incidents:
        r.checked += 1
        groups: dict[tuple, list] = defaultdict(list)
        for send in pages.get(incident_id, []):
            groups[(send.position, send.to, send.kind)].append(send)
        for (position, to, kind), sends in sorted(groups.items(), key=str):
            if len(sends) < 2:
                continue
            sends.sort(key=lambda s: s.at)
            if all(s.ambiguous for s in sends[:-1]):
                r.at_least_once += len(sends) - 1
            else:
                r.fail(incident_id, f"{len(sends)} {kind} pages to {to} at rung {position}")
    return r


def no_participant_detail(h: History) -> Result:
    """4. No participant detail in any SMS, call, log line, metric, execution input or
    history."""
    r = Result("4 no participant detail out of DynamoDB")
    r.checked = len(h.incidents)
    by_token = {}
    for incident_id, index in h.index_of.items():
        by_token[f"n{index}"] = incident_id
        by_token[f"N{index}"] = incident_id
    for channel, texts in sorted(h.texts.items()):
        for text in texts:
            for match in PII.finditer(text):
                token = match.group(0)
                tail = re.search(r"[nN]\d+$", token)
                who = by_token.get(tail.group(0)) if tail else None
                r.fail(who, f"{token!r} in {channel}: {text[:120]!r}")
    return r


def referred_in_time(h: History) -> Result:
    """5. Every unaccepted crisis is referred within its severity's bound plus SLACK_S;
    a low task is never referred."""
    r = Result(f"5 referred within the bound + {SLACK_S} s")
    for inc in h.incidents.values():
        r.checked += 1
        if inc.severity == "low":
            if inc.referred_at is not None:
                r.fail(inc.incident_id, "a low task was referred")
            continue
        deadline = inc.opened_at + REFERRAL_BOUND_S[inc.severity] + SLACK_S
        accepted_in_time = inc.accepted_at is not None and inc.accepted_at <= deadline
        if inc.referred_at is None and not accepted_in_time:
            r.fail(inc.incident_id, f"{inc.severity}: never referred nor accepted in time")
        elif inc.referred_at is not None and inc.referred_at > deadline and not (
                inc.accepted_at is not None and inc.accepted_at < inc.referred_at):
            r.fail(inc.incident_id, f"{inc.severity}: referred at "
                   f"{inc.referred_at - inc.opened_at:.0f} s, bound "
                   f"{REFERRAL_BOUND_S[inc.severity]} + {SLACK_S} s")
    return r


def one_callback_each(h: History) -> Result:
    """6. Exactly one `accepted` callback per accepted incident and one `referred` per
    referred one, to its hotline (verified); every incident gets at least one."""
    r = Result("6 one accepted/referred callback each")
    counts = Counter(h.callbacks)
    for inc in h.incidents.values():
        r.checked += 1
        want = {"accepted": int(inc.accepted_at is not None),
                "referred": int(inc.referred_at is not None)}
        got = {event: counts[(inc.incident_id, event)] for event in want}
        if got != want or not any(got.values()):
            r.fail(inc.incident_id, f"callbacks {got}, expected {want}")
    return r


CHECKS: tuple[Callable[[History], Result], ...] = (
    one_incident_one_ladder, no_page_after_acceptance, one_page_per_rung,
    no_participant_detail, referred_in_time, one_callback_each)


def check(h: History) -> list[Result]:
    return [c(h) for c in CHECKS]
