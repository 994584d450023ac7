"""The brief as a small HTML page for a phone, the interstitial that a GET of the link shows
before it (no PHI: the SMS's program name and code, and one button that POSTs
``action=open``), and the one refusal page. One column, the system font, large tap
targets, tel: links for numbers, no script, no image, nothing fetched from anywhere.
Every value is escaped (html.escape) and shows each bidi control as BIDI_SHOWN (brief.py);
text from outside (the hotline's, the safety plan's) is isolated in ``<bdi>``, so even right-
to-left text cannot reorder what stands around it. Only numbers that look like phone numbers
become tel: links. Pure.

The function serves them with a strict Content-Security-Policy (PAGE_HEADERS): even if some
markup slipped through, no script would run and no form could post elsewhere.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import escape

from .brief import FOLLOW_UP_ACTIONS, OPEN_ACTION, neutral
from .brief_view import RESOURCE_LABELS, Brief, Preview, ScreenerAnswer
from .participant import Participant

# Headers for every answer of the brief's URL: HTML, JSON and refusals alike.
PAGE_HEADERS: dict[str, str] = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; "
                                "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
}
HTML = "text/html; charset=utf-8"
REFUSED_TEXT = ("This link is invalid or has expired. Text STATUS to the paging number "
                "for your open pages.")
_DIALABLE = re.compile(r"\+?[0-9]{3,15}")

_STYLE = """
:root{color-scheme:light dark}
body{margin:0;font:1.0625rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:Canvas;color:CanvasText}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.25rem 0}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem;border-bottom:1px solid GrayText}
h3{font-size:1.05rem;margin:1rem 0 .25rem}
dl{margin:0}dt{font-weight:600;margin-top:.5rem}dd{margin:0}
ul,ol{padding-left:1.25rem;margin:.25rem 0}li{margin:.25rem 0}
.muted{color:GrayText}.program{margin:0;color:GrayText}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:.25rem;font-weight:700;
border:2px solid currentColor}
.notice{padding:.75rem;border:2px solid currentColor;border-radius:.25rem}
a.tel{display:inline-block;min-height:44px;line-height:44px;padding:0 .5rem;
font-weight:600}
button{font:inherit;width:100%;min-height:48px;margin:.5rem 0;border-radius:.5rem;
border:2px solid currentColor;background:ButtonFace;color:ButtonText}
button.open{min-height:64px;font-size:1.25rem;font-weight:700}
table{border-collapse:collapse;width:100%}td{border-top:1px solid GrayText;padding:.4rem .25rem;
vertical-align:top}td.answer{font-weight:700;white-space:nowrap}
"""


def _e(text: object) -> str:
    return escape(neutral(str(text)), quote=True)


def _u(text: object) -> str:
    """Text from outside, escaped and isolated: its direction is its own (dir=auto)."""
    return f"<bdi>{_e(text)}</bdi>"


def _span(seconds: int) -> str:
    if seconds < 60:
        return "under a minute"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{seconds // 86400} days"


def _ago(at: datetime, now: datetime) -> str:
    seconds = int((now - at).total_seconds())
    if seconds < 0:
        return f"in {_span(-seconds)}"
    return "just now" if seconds < 60 else f"{_span(seconds)} ago"


def _when(at: datetime | None, now: datetime) -> str:
    if at is None:
        return '<span class="muted">not recorded</span>'
    stamp = at.strftime("%Y-%m-%d %H:%M UTC") if at.utcoffset() == timedelta(0) else (
        at.strftime("%Y-%m-%d %H:%M %z"))
    return (f'<time datetime="{_e(at.isoformat())}">{_e(stamp)}</time> '
            f'<span class="muted">({_e(_ago(at, now))})</span>')


def _pretty(number: str) -> str:
    """+15035550100 -> +1 503-555-0100 for North American numbers; others unchanged."""
    if number.startswith("+1") and len(number) == 12 and number[1:].isdigit():
        return f"+1 {number[2:5]}-{number[5:8]}-{number[8:]}"
    return number


def _phone(number: str) -> str:
    """A tel: link for what looks like a phone number; anything else as plain text."""
    dial = "".join(c for c in number if c not in " -().")
    if _DIALABLE.fullmatch(dial):
        return f'<a class="tel" href="tel:{_e(dial)}">{_e(_pretty(number))}</a>'
    return _u(number)


def _list(entries: tuple[str, ...] | list[str], empty: str = "Nothing recorded.") -> str:
    if not entries:
        return f'<p class="muted">{_e(empty)}</p>'
    return "<ul>" + "".join(f"<li>{_u(x)}</li>" for x in entries) + "</ul>"


def _dl(rows: list[tuple[str, str]]) -> str:
    """Rows of (label, already-escaped HTML)."""
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def _screener(answers: tuple[ScreenerAnswer, ...] | None, severity: str | None) -> str:
    if answers is None:
        return '<p class="muted">The hotline sent no screen answers.</p>'

    def shown(a: ScreenerAnswer) -> str:
        return "not asked" if a.answer is None else ("Yes" if a.answer else "No")

    rows = "".join(
        f'<tr><td>{_e(a.question.replace("_", " "))}</td><td>{_u(a.text)}</td>'
        f'<td class="answer">{_e(shown(a))}</td></tr>' for a in answers)
    triage = f"<p>Screen triage: <strong>{_e((severity or '').upper())}</strong></p>"
    return f"{triage}<table>{rows}</table>"


def _participant(p: Participant, now: datetime) -> str:
    parts = [
        "<h2 id=\"participant\">Participant</h2>",
        _dl([("Preferred name", _u(p.preferred_name) if p.preferred_name
              else '<span class="muted">not recorded</span>'),
             ("Plan version", f"{_e(p.version)}, saved {_when(p.updated_at, now)}")]),
        '<h2 id="safety-plan">Safety plan</h2>',
    ]
    for field, title, entries in p.plan.sections():
        parts.append(f'<h3 id="plan-{_e(field)}">{_e(title)}</h3>{_list(entries)}')
    parts.append('<h2 id="support">Support persons</h2>')
    if p.support_persons:
        items = []
        for s in p.support_persons:
            consent = ("consents to be notified" if s.consent_to_notify
                       else "no consent to notify")
            items.append(f"<li><strong>{_u(s.name)}</strong> ({_u(s.relationship)}) "
                         f"{_phone(s.phone)} <span class=\"muted\">{_e(consent)}</span></li>")
        parts.append("<ul>" + "".join(items) + "</ul>")
    else:
        parts.append('<p class="muted">None recorded.</p>')
    parts.append('<h2 id="location">Last confirmed location</h2>')
    if p.location is None:
        parts.append('<p class="muted">No location on record: use the program\'s local '
                     "resources and ask the hotline.</p>")
    else:
        loc = p.location
        rows = [("Where", _u(loc.description)), ("Confirmed", _when(loc.confirmed_at, now))]
        rows += _resources(loc.resources.as_dict())
        parts.append(_dl(rows))
    return "".join(parts)


def _resources(resources: dict[str, str]) -> list[tuple[str, str]]:
    rows = []
    for key, value in resources.items():
        label = RESOURCE_LABELS.get(key, key.replace("_", " ").capitalize())
        shown = _phone(value) if key.endswith(("_line", "_team", "_phone", "_center")) else (
            _u(value))
        rows.append((label, shown))
    return rows


def _follow_up(brief: Brief) -> str:
    f = brief.follow_up
    if f is None:
        return ""
    rows = [("State", _e(f.state)), ("Due", _when(f.due_at, brief.now)),
            ("Contact attempts", _e(f"{len(f.attempts)} of {f.max_attempts}"))]
    rows += [(f"Attempt {n}", _when(at, brief.now)) for n, at in enumerate(f.attempts, 1)]
    if f.done_at is not None:
        rows.append(("Done", f"{_u(f.done_by or '')}, {_when(f.done_at, brief.now)}"))
    parts = ['<h2 id="follow-up">Follow-up</h2>', _dl(rows)]
    if brief.can_record_follow_up:
        actions = [a for a in FOLLOW_UP_ACTIONS if a != "attempt" or f.can_attempt]
        for action in actions:
            parts.append(f'<form method="post"><input type="hidden" name="follow_up" '
                         f'value="{_e(action)}"><button type="submit">'
                         f"{_e(FOLLOW_UP_ACTIONS[action])}</button></form>")
    return "".join(parts)


def render_brief(brief: Brief) -> str:
    """The whole page. Every value from storage is escaped."""
    now = brief.now
    head = [
        f'<p class="program">{_u(brief.program_name)}</p>',
        f"<h1>Incident {_e(brief.code)}</h1>",
        f'<p><span class="badge">{_e(brief.severity.upper())}</span> '
        f"{_e(brief.status)}</p>",
        f'<p class="muted">Only for {_u(brief.viewer_name)}, until '
        f'{_when(brief.link_expires_at, now)}. Do not forward this link.</p>',
    ]
    if brief.notice:
        head.append(f'<p class="notice" role="status">{_e(brief.notice)}</p>')
    rows = [("Opened", _when(brief.opened_at, now))]
    if brief.accepted_by:
        rows.append(("Accepted by", f"{_u(brief.accepted_by)}, {_when(brief.accepted_at, now)}"))
    if brief.resolved_by:
        rows.append(("Resolved by", f"{_u(brief.resolved_by)}, {_when(brief.resolved_at, now)}"))
    body = [
        *head,
        _follow_up(brief),  # first: on a follow-up link, the forms are what it is for
        '<h2 id="incident">Incident</h2>', _dl(rows),
        '<h2 id="summary">Hotline summary</h2>',
        f'<p dir="auto">{_u(brief.summary)}</p>',
        '<h2 id="screener">C-SSRS screen</h2>',
        _screener(brief.screener, brief.screener_severity),
    ]
    if brief.referral is not None:
        body += ['<h2 id="referral">Local emergency referral</h2>',
                 _dl([(label, _phone(value) if value.startswith("+") else _u(value))
                      for label, value in brief.referral])]
    if brief.participant is not None:
        body.append(_participant(brief.participant, now))
    else:
        body += ['<h2 id="participant">Participant</h2>',
                 f"<p>{_e(brief.participant_problem or '')}</p>"]
    return _page(f"Incident {brief.code} - {brief.program_name}", "".join(body))


OPEN_LABEL = "Open the details"


def render_interstitial(preview: Preview) -> str:
    """What a GET of a live link shows: the program's name, the incident's code (both already
    in the SMS) and one button that POSTs ``action=open`` to this same URL. Nothing about
    the participant or the crisis, so a link-preview fetcher gets nothing."""
    body = (f'<p class="program">{_u(preview.program_name)}</p>'
            "<h1>Incident details</h1>"
            f"<p>Open the details of incident {_e(preview.code)}.</p>"
            f'<form method="post"><input type="hidden" name="action" '
            f'value="{_e(OPEN_ACTION)}"><button class="open" type="submit">'
            f"{_e(OPEN_LABEL)}</button></form>")
    return _page(f"Incident {preview.code} - {preview.program_name}", body)


def render_refused() -> str:
    """The one answer to any link that does not open: the same page, whatever the reason."""
    return _page("Link invalid or expired", f"<h1>Link invalid or expired</h1>"
                                            f"<p>{_e(REFUSED_TEXT)}</p>")
