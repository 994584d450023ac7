"""What a clinician's SMS reply means. Pure; every form is covered by property tests.

Accept: ``A 417``, ``a417``, ``417 a``, ``ACCEPT 417``, ``ack 417`` (any case, any
spacing). Anything else is :class:`Unrecognised` and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = r"(?:a|accept|accepted|ack)"
_ACCEPT = re.compile(
    rf"\s*(?:{_WORD}\s*[#:.-]?\s*(?P<code>[0-9]{{3,4}})|(?P<code_first>[0-9]{{3,4}})\s*{_WORD})"
    r"\s*[.!]?\s*",
    re.IGNORECASE | re.ASCII,
)


@dataclass(frozen=True)
class Accept:
    code: str


@dataclass(frozen=True)
class Unrecognised:
    text: str


Reply = Accept | Unrecognised


MAX_REPLY = 1600  # Twilio's longest inbound message; anything longer is not a reply


def parse_reply(body: str) -> Reply:
    """The whole message must be the reply: nothing is truncated before matching."""
    text = body or ""
    m = _ACCEPT.fullmatch(text) if len(text) <= MAX_REPLY else None
    if m:
        return Accept(m["code"] or m["code_first"])
    return Unrecognised(text.strip()[:160])
