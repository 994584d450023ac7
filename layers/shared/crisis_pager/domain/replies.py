"""What a clinician's SMS reply means. Pure; every form is covered by property tests.

The WHOLE message must be the reply, in any case, with free surrounding whitespace and at
most one trailing ``.`` or ``!``. A space, wherever the grammar has one, is ASCII whitespace
or any Unicode space separator (category Zs: the no-break space ``A\u00a0417`` that phone
keyboards type, narrow no-break, figure, ideographic, em, thin, ...); everything else is
ASCII (``A ١٧``, ``A ²`` and ``Ａ 417`` are not replies):

- a command: one verb word and at most one 3-4 digit ASCII code, word first (``A 417``,
  ``a417``, ``A: 417!``, ``a-417.``; at most one of ``# : . -`` between them) or code first
  (``417 a``). A bare word (``A``, ``Resolved.``) is a command without a code.
  accept = a, accept, accepted, ack; pass = p, pass, next; resolve = r, resolve, resolved,
  done;
- a follow-up report: ``F``, ``FU``, ``followup`` or ``follow-up``, at most one code as in a
  command (``F 417``, ``f-417``), then whitespace and the outcome: done = done, complete,
  completed; a contact attempt = tried, attempt, attempted (``F 417 done``, ``F tried``);
- ``HELP``, ``INFO`` or ``?``; ``STATUS`` or ``LIST``;
- an opt-out (``STOP``, ``STOP ALL``, ``UNSUBSCRIBE``...) or opt-in (``START``, ``YES``...)
  keyword, read as Twilio reads them: the whole trimmed body, any case.

Anything else is :class:`Unrecognised` and changes nothing: ``STOP 417`` is neither an
opt-out nor an acceptance, and STOP is never read as acceptance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Verb(StrEnum):
    ACCEPT = "accept"
    PASS = "pass"  # noqa: S105 (the verb, not a password)
    RESOLVE = "resolve"

    @property
    def letter(self) -> str:
        """The one-letter reply: A, P or R."""
        return self.value[0].upper()


@dataclass(frozen=True)
class Command:
    """Accept, pass or resolve; ``code`` is None for a bare ``A``, ``P`` or ``R``."""

    verb: Verb
    code: str | None


@dataclass(frozen=True)
class FollowUpReport:
    """``F 417 done`` (the follow-up is done) or ``F 417 tried`` (one contact attempt)."""

    code: str | None
    done: bool


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class StatusRequest:
    """Which pages are open for me."""


@dataclass(frozen=True)
class OptOut:
    keyword: str  # upper-case, inner whitespace collapsed: "STOP ALL"


@dataclass(frozen=True)
class OptIn:
    keyword: str  # upper-case


@dataclass(frozen=True)
class Unrecognised:
    text: str  # the body stripped, at most 160 characters


Reply = Command | FollowUpReport | Help | StatusRequest | OptOut | OptIn | Unrecognised

MAX_REPLY = 1600  # Twilio's longest inbound message; anything longer is not a reply
MAX_ECHO = 160

VERB_WORDS: dict[str, Verb] = {
    "a": Verb.ACCEPT, "accept": Verb.ACCEPT, "accepted": Verb.ACCEPT, "ack": Verb.ACCEPT,
    "p": Verb.PASS, "pass": Verb.PASS, "next": Verb.PASS,
    "r": Verb.RESOLVE, "resolve": Verb.RESOLVE, "resolved": Verb.RESOLVE, "done": Verb.RESOLVE,
}
FOLLOW_UP_WORDS = ("follow-up", "followup", "fu", "f")  # longest first
FOLLOW_UP_DONE = frozenset({"done", "complete", "completed"})
FOLLOW_UP_TRIED = frozenset({"tried", "attempt", "attempted"})
HELP_WORDS = frozenset({"HELP", "INFO", "?"})
STATUS_WORDS = frozenset({"STATUS", "LIST"})
OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP", "OPTIN"})

# The Unicode space separators (category Zs) other than the ASCII space, as of Unicode 15;
# a unit test holds this to unicodedata. Not the other characters str.isspace() takes (the
# ASCII separators \x1c-\x1f, NEL, the line and paragraph separators), nor zero-width ones.
SPACE_SEPARATORS = "\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"

# re.ASCII throughout: without it [0-9] is still ASCII, but IGNORECASE would let "ſ" match
# "s" and the Kelvin sign match "k"; a space is _S, never a bare \s. Each whitespace run
# has one owner, so matching is linear in the body's length.
_S = rf"[\s{SPACE_SEPARATORS}]"
_WORD = "|".join(sorted(VERB_WORDS, key=len, reverse=True))
_CODE = r"[0-9]{3,4}"
_END = rf"{_S}*(?:[.!]{_S}*)?"
_COMMAND = re.compile(
    rf"{_S}*(?:(?P<word>{_WORD})(?:{_S}*(?:[#:.-]{_S}*)?(?P<code>{_CODE}))?"
    rf"|(?P<code_first>{_CODE}){_S}*(?P<word_last>{_WORD})){_END}",
    re.IGNORECASE | re.ASCII,
)
_OUTCOME = "|".join(sorted(FOLLOW_UP_DONE | FOLLOW_UP_TRIED, key=len, reverse=True))
_FOLLOW_UP = re.compile(
    rf"{_S}*(?:{'|'.join(FOLLOW_UP_WORDS)})(?:{_S}*(?:[#:.-]{_S}*)?(?P<code>{_CODE}))?"
    rf"{_S}+(?P<outcome>{_OUTCOME}){_END}",
    re.IGNORECASE | re.ASCII,
)
_KEYWORD = re.compile(rf"{_S}*(?P<keyword>\?|[a-z]+(?:{_S}+all)?){_END}",
                      re.IGNORECASE | re.ASCII)


def Accept(code: str) -> Command:
    """``Command(Verb.ACCEPT, code)``; the name of the former accept-only reply type."""
    return Command(Verb.ACCEPT, code)


def parse_reply(body: str) -> Reply:
    """The whole message must be the reply: nothing is truncated before matching."""
    text = body or ""
    if len(text) > MAX_REPLY:
        return Unrecognised(text.strip()[:MAX_ECHO])
    if m := _COMMAND.fullmatch(text):
        word = m["word"] or m["word_last"]
        return Command(VERB_WORDS[word.lower()], m["code"] or m["code_first"])
    if m := _FOLLOW_UP.fullmatch(text):
        return FollowUpReport(m["code"], m["outcome"].lower() in FOLLOW_UP_DONE)
    if m := _KEYWORD.fullmatch(text):
        keyword = " ".join(m["keyword"].split()).upper()
        if keyword in HELP_WORDS:
            return Help()
        if keyword in STATUS_WORDS:
            return StatusRequest()
        if keyword in OPT_OUT_WORDS:
            return OptOut(keyword)
        if keyword in OPT_IN_WORDS:
            return OptIn(keyword)
    return Unrecognised(text.strip()[:MAX_ECHO])
