"""Reply parsing.

The rule: a reply is an acceptance only when the WHOLE message is one accept word
(``a``, ``accept``, ``accepted``, ``ack``; any case) and one 3-4 digit ASCII code, either
word first (optional spaces and at most one of ``# : . -`` between them) or code first
(optional spaces between), with optional surrounding whitespace and one trailing ``.`` or
``!``. Everything else, including a bare code, a bare word, two codes, a short code, other
words and non-ASCII digits, is Unrecognised and changes nothing.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis_pager.domain.replies import Accept, Unrecognised, parse_reply

PROPERTY = settings(max_examples=200, deadline=None)
WORDS = ["a", "A", "accept", "ACCEPT", "ack", "Ack", "accepted"]
spaces = st.sampled_from(["", " ", "  ", "\t", " \n", "\r\n"])
codes = st.integers(100, 9999).map(str)


@st.composite
def any_case(draw: st.DrawFn, word: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.swapcase() if f else c for c, f in zip(word, flips, strict=True))


words = st.sampled_from(WORDS).flatmap(any_case)


@PROPERTY
@given(
    code=codes,
    word=words,
    lead=spaces,
    before_sep=spaces,
    sep=st.sampled_from(["", "#", ":", ".", "-"]),
    after_sep=spaces,
    tail=spaces,
    punct=st.sampled_from(["", ".", "!"]),
    end=spaces,
)
def test_word_first_accepts(
    code: str, word: str, lead: str, before_sep: str, sep: str, after_sep: str,
    tail: str, punct: str, end: str,
) -> None:
    body = f"{lead}{word}{before_sep}{sep}{after_sep}{code}{tail}{punct}{end}"
    assert parse_reply(body) == Accept(code)


@PROPERTY
@given(code=codes, word=words, lead=spaces, mid=spaces, punct=st.sampled_from(["", ".", "!"]),
       end=spaces)
def test_code_first_accepts(code: str, word: str, lead: str, mid: str, punct: str,
                            end: str) -> None:
    assert parse_reply(f"{lead}{code}{mid}{word}{punct}{end}") == Accept(code)


@pytest.mark.parametrize(
    ("body", "code"),
    [("A 417", "417"), ("a417", "417"), ("417 a", "417"), ("417a", "417"),
     ("ACCEPT 417", "417"), ("ack 417", "417"), ("Accepted #4170", "4170"),
     ("A: 417!", "417"), ("  a-417. ", "417")],
)
def test_documented_forms(body: str, code: str) -> None:
    assert parse_reply(body) == Accept(code)


HOSTILE = [
    "", " ", "417", "A", "a ", "A 41", "A 41700", "A 417 and 418", "A 417 418",
    "417 418 A", "A 417 A 418", "STOP", "yes", "YES 417", "ok 417", "B 417", "AA 417",
    "accepting 417", "acknowledge 417", "A 417?", "A 417!!", "A ## 417", "A 417 a",
    "417-a", "A four one seven", "A 4 1 7", "A 417 please call me", "not A 417",
    "A\x00417", "A 4I7", "A 0x1A1",
    "A " + "4" * 500, "A 417" + "x" * 1000, "A 417 " * 40, "x" * 10_000,
]


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_or_ambiguous_replies_never_accept(body: str) -> None:
    result = parse_reply(body)
    assert isinstance(result, Unrecognised)
    assert len(result.text) <= 160 and result.text in body


@pytest.mark.parametrize("body", ["A ٤١٧", "A ４１７", "A ໔໑໗", "٤١٧ a", "A 4١7"])
def test_unicode_digits_never_accept(body: str) -> None:
    """Regression: \\d once matched any Unicode digit, so 'A ٤١٧' was Accept('٤١٧')."""
    assert isinstance(parse_reply(body), Unrecognised)


@pytest.mark.parametrize("padding", [155, 160, 1000])
def test_text_beyond_160_characters_still_counts(padding: int) -> None:
    """Regression: the body was cut to 160 characters before matching, so 'A 417', padding,
    'and 418' was Accept('417')."""
    assert isinstance(parse_reply("A 417" + " " * padding + "and 418"), Unrecognised)


def test_trailing_whitespace_of_any_length_within_an_sms_still_accepts() -> None:
    assert parse_reply("A 417" + " " * 300) == Accept("417")


_SQUEEZE = re.compile(r"[\s#:.\-!]")
_ACCEPT_WORDS = ("a", "accept", "accepted", "ack")


@PROPERTY
@given(st.text(alphabet="aAcCeEpPtTdDkKbx0123456789 #:.-!?\t\n", max_size=24))
def test_anything_accepted_is_one_word_and_one_code(body: str) -> None:
    result = parse_reply(body)
    if isinstance(result, Unrecognised):
        return
    code = result.code
    assert code.isascii() and code.isdigit() and len(code) in (3, 4)
    squeezed = _SQUEEZE.sub("", body.lower())
    assert squeezed in {f"{w}{code}" for w in _ACCEPT_WORDS} | {
        f"{code}{w}" for w in _ACCEPT_WORDS
    }


@PROPERTY
@given(st.text(max_size=400))
def test_unrecognised_text_is_bounded_and_taken_from_the_body(body: str) -> None:
    result = parse_reply(body)
    if isinstance(result, Unrecognised):
        assert len(result.text) <= 160
        assert result.text in body
        assert result.text == "" or not result.text[0].isspace()
