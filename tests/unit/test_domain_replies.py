"""Reply parsing.

The rule: the WHOLE message is the reply, in any case, with optional surrounding whitespace
and one trailing ``.`` or ``!``. A space is ASCII whitespace or any Unicode space separator
(category Zs: the no-break space of ``A\u00a0417``, narrow no-break, figure, ideographic...);
everything else is ASCII only. It is

- a command: one verb word (accept = a, accept, accepted, ack; pass = p, pass, next;
  resolve = r, resolve, resolved, done) and at most one 3-4 digit ASCII code, either word
  first (optional spaces and at most one of ``# : . -`` between them) or code first
  (optional spaces between); a bare word is a command without a code;
- a follow-up report: F, FU, FOLLOWUP or FOLLOW-UP, at most one code as in a command
  (word first), then whitespace and an outcome (done, complete, completed = done; tried,
  attempt, attempted = one contact attempt);
- HELP, INFO or ``?``; STATUS or LIST;
- an opt-out keyword (STOP, STOPALL, STOP ALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT,
  REVOKE) or an opt-in keyword (START, YES, UNSTOP, OPTIN).

Everything else, including a bare code, two codes, two verbs, a short code, other words,
a keyword with a code and non-ASCII digits, letters or spacing other than Zs (``\x1c``, NEL,
U+2028, zero-width spaces), is Unrecognised and changes nothing.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis_pager.domain import replies
from crisis_pager.domain.replies import (
    MAX_REPLY,
    Accept,
    Command,
    FollowUpReport,
    Help,
    OptIn,
    OptOut,
    Reply,
    StatusRequest,
    Unrecognised,
    Verb,
    parse_reply,
)
from tests.unit.oracles import unicode_category

PROPERTY = settings(max_examples=200, deadline=None)

# Written out here, not imported: the tests hold the parser to the documented words.
VERB_WORDS = {
    Verb.ACCEPT: ["a", "accept", "accepted", "ack"],
    Verb.PASS: ["p", "pass", "next"],
    Verb.RESOLVE: ["r", "resolve", "resolved", "done"],
}
WORD_VERB = {word: verb for verb, words in VERB_WORDS.items() for word in words}
FOLLOW_UP_WORDS = ["follow-up", "followup", "fu", "f"]
OUTCOMES = {"done": True, "complete": True, "completed": True,
            "tried": False, "attempt": False, "attempted": False}
HELP_WORDS = ["help", "info", "?"]
STATUS_WORDS = ["status", "list"]
OPT_OUT_WORDS = ["stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"]
OPT_IN_WORDS = ["start", "yes", "unstop", "optin"]

ASCII_SPACE = " \t\n\r\f\v"  # what \s matches under re.ASCII
ZS = unicode_category("Zs")  # U+0020, U+00A0 no-break, U+1680, U+2000-U+200A, U+202F, ...
SPACE = ASCII_SPACE + ZS  # a space, wherever the grammar has one
# Whitespace to Python (or invisible) that is not a space separator: never a space here.
NOT_SPACES = ["\x1c", "\x1f", "\x85", "\u2028", "\u2029", "\u200b", "\u180e", "\ufeff",
              "\u2060"]
spaces = st.sampled_from(["", " ", "  ", "\t", " \n", "\r\n", "\u00a0", "\u202f", "\u2007",
                          "\u3000", " \u00a0", "\u2009\n"])
codes = st.integers(100, 9999).map(str)
verbs = st.sampled_from(list(Verb))
separators = st.sampled_from(["", "#", ":", ".", "-"])
puncts = st.sampled_from(["", ".", "!"])


@st.composite
def any_case(draw: st.DrawFn, word: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.swapcase() if f else c for c, f in zip(word, flips, strict=True))


def words_for(verb: Verb) -> st.SearchStrategy[str]:
    return st.sampled_from(VERB_WORDS[verb]).flatmap(any_case)


# Commands


@PROPERTY
@given(
    verb=verbs, data=st.data(), code=codes, lead=spaces, before_sep=spaces, sep=separators,
    after_sep=spaces, tail=spaces, punct=puncts, end=spaces,
)
def test_word_first_commands(
    verb: Verb, data: st.DataObject, code: str, lead: str, before_sep: str, sep: str,
    after_sep: str, tail: str, punct: str, end: str,
) -> None:
    word = data.draw(words_for(verb))
    body = f"{lead}{word}{before_sep}{sep}{after_sep}{code}{tail}{punct}{end}"
    assert parse_reply(body) == Command(verb, code)


@PROPERTY
@given(verb=verbs, data=st.data(), code=codes, lead=spaces, mid=spaces, tail=spaces,
       punct=puncts, end=spaces)
def test_code_first_commands(
    verb: Verb, data: st.DataObject, code: str, lead: str, mid: str, tail: str, punct: str,
    end: str,
) -> None:
    word = data.draw(words_for(verb))
    assert parse_reply(f"{lead}{code}{mid}{word}{tail}{punct}{end}") == Command(verb, code)


@PROPERTY
@given(verb=verbs, data=st.data(), lead=spaces, tail=spaces, punct=puncts, end=spaces)
def test_a_bare_word_is_a_command_without_a_code(
    verb: Verb, data: st.DataObject, lead: str, tail: str, punct: str, end: str
) -> None:
    word = data.draw(words_for(verb))
    assert parse_reply(f"{lead}{word}{tail}{punct}{end}") == Command(verb, None)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("A 417", Command(Verb.ACCEPT, "417")), ("a417", Command(Verb.ACCEPT, "417")),
        ("417 a", Command(Verb.ACCEPT, "417")), ("417a", Command(Verb.ACCEPT, "417")),
        ("ACCEPT 417", Command(Verb.ACCEPT, "417")), ("ack 417", Command(Verb.ACCEPT, "417")),
        ("Accepted #4170", Command(Verb.ACCEPT, "4170")),
        ("A: 417!", Command(Verb.ACCEPT, "417")), ("  a-417. ", Command(Verb.ACCEPT, "417")),
        ("P 417", Command(Verb.PASS, "417")), ("p417", Command(Verb.PASS, "417")),
        ("417 p", Command(Verb.PASS, "417")), ("PASS 417", Command(Verb.PASS, "417")),
        ("next 417", Command(Verb.PASS, "417")), ("P: 417!", Command(Verb.PASS, "417")),
        ("p-417.", Command(Verb.PASS, "417")),
        ("R 417", Command(Verb.RESOLVE, "417")), ("r417", Command(Verb.RESOLVE, "417")),
        ("417 r", Command(Verb.RESOLVE, "417")), ("RESOLVE 417", Command(Verb.RESOLVE, "417")),
        ("resolved 417", Command(Verb.RESOLVE, "417")), ("Done 417", Command(Verb.RESOLVE, "417")),
        ("R: 417!", Command(Verb.RESOLVE, "417")), ("r-417.", Command(Verb.RESOLVE, "417")),
        ("417 done", Command(Verb.RESOLVE, "417")),
        ("A", Command(Verb.ACCEPT, None)), ("a ", Command(Verb.ACCEPT, None)),
        ("Ack!", Command(Verb.ACCEPT, None)), ("p", Command(Verb.PASS, None)),
        ("Next.", Command(Verb.PASS, None)), ("Resolved.", Command(Verb.RESOLVE, None)),
        ("DONE", Command(Verb.RESOLVE, None)),
        # Phone keyboards and autocorrect type these spaces (issue 10: A\u00a0417 was
        # answered as unrecognised).
        ("A\u00a0417", Command(Verb.ACCEPT, "417")), ("A\u202f417", Command(Verb.ACCEPT, "417")),
        ("A\u2007417", Command(Verb.ACCEPT, "417")), ("A\u3000417", Command(Verb.ACCEPT, "417")),
        ("417\u00a0a", Command(Verb.ACCEPT, "417")), ("P:\u00a0417", Command(Verb.PASS, "417")),
        ("\u00a0R 417.\u00a0", Command(Verb.RESOLVE, "417")),
        ("A\u00a0", Command(Verb.ACCEPT, None)),
    ],
)
def test_documented_command_forms(body: str, expected: Command) -> None:
    assert parse_reply(body) == expected


@pytest.mark.parametrize("space", list(ZS))
def test_every_unicode_space_separator_is_a_space(space: str) -> None:
    assert parse_reply(f"{space}A{space}417{space}") == Command(Verb.ACCEPT, "417")
    assert parse_reply(f"417{space}p{space}!") == Command(Verb.PASS, "417")
    assert parse_reply(f"F{space}417{space}done") == FollowUpReport("417", True)
    assert parse_reply(f"{space}stop{space}all{space}") == OptOut("STOP ALL")
    assert parse_reply(f"START{space}") == OptIn("START")


def test_the_parsers_space_separators_are_exactly_unicode_zs() -> None:
    assert set(replies.SPACE_SEPARATORS) | {" "} == set(ZS)


@pytest.mark.parametrize("space", NOT_SPACES)
def test_other_whitespace_and_invisible_characters_are_not_spaces(space: str) -> None:
    for body in (f"A{space}417", f"417{space}a", f"F 417{space}done", f"stop{space}all"):
        assert isinstance(parse_reply(body), Unrecognised), repr(body)


def test_accept_is_a_command() -> None:
    assert Accept("417") == Command(Verb.ACCEPT, "417")
    assert parse_reply("A 417") == Accept("417")


# Keywords


@st.composite
def keyword_bodies(draw: st.DrawFn, words: list[str]) -> str:
    word = draw(st.sampled_from(words).flatmap(any_case))
    return f"{draw(spaces)}{word}{draw(spaces)}{draw(puncts)}{draw(spaces)}"


@PROPERTY
@given(keyword_bodies(HELP_WORDS))
def test_help(body: str) -> None:
    assert parse_reply(body) == Help()


@PROPERTY
@given(keyword_bodies(STATUS_WORDS))
def test_status(body: str) -> None:
    assert parse_reply(body) == StatusRequest()


@PROPERTY
@given(keyword_bodies(OPT_OUT_WORDS))
def test_opt_out_keywords_as_twilio_reads_them(body: str) -> None:
    keyword = body.strip(SPACE).rstrip(".!").strip(SPACE).upper()
    assert parse_reply(body) == OptOut(keyword)


@PROPERTY
@given(stop=st.sampled_from(["stop", "STOP", "Stop"]), all_=st.sampled_from(["all", "ALL", "All"]),
       mid=st.sampled_from([" ", "  ", "\t", " \n ", "\u00a0", "\u3000"]), punct=puncts)
def test_stop_all_is_an_opt_out_with_its_spacing_collapsed(
    stop: str, all_: str, mid: str, punct: str
) -> None:
    assert parse_reply(f" {stop}{mid}{all_}{punct} ") == OptOut("STOP ALL")


@PROPERTY
@given(keyword_bodies(OPT_IN_WORDS))
def test_opt_in_keywords(body: str) -> None:
    keyword = body.strip(SPACE).rstrip(".!").strip(SPACE).upper()
    assert parse_reply(body) == OptIn(keyword)


@pytest.mark.parametrize(
    ("body", "expected"),
    [("STOP", OptOut("STOP")), ("stop", OptOut("STOP")), ("Stop.", OptOut("STOP")),
     ("STOPALL", OptOut("STOPALL")), ("stop all!", OptOut("STOP ALL")),
     ("Unsubscribe", OptOut("UNSUBSCRIBE")), ("cancel", OptOut("CANCEL")),
     ("yes", OptIn("YES")), ("START", OptIn("START")), ("unstop", OptIn("UNSTOP")),
     ("HELP", Help()), ("info", Help()), ("?", Help()), (" ? ", Help()),
     ("STATUS", StatusRequest()), ("list.", StatusRequest())],
)
def test_documented_keywords(body: str, expected: Reply) -> None:
    assert parse_reply(body) == expected


# Everything else


HOSTILE = [
    "", " ", "ok", "417", "4170", "A 41", "A 41700", "A 417 and 418", "A 417 418",
    "417 418 A", "A 417 A 418", "A 417 P 418", "P 417 R 418", "YES 417", "ok 417", "B 417",
    "AA 417", "AP 417", "A P", "A P 417", "done done", "accepting 417", "acknowledge 417",
    "passing 417", "resolving 417", "A 417?", "A 417!!", "A ## 417", "A 417 a", "417-a",
    "417 a p", "A:", "A -", "A#", "A..", "A four one seven", "A 4 1 7",
    "A 417 please call me", "not A 417", "A\x00417", "A 4I7", "A 0x1A1", "A 417\x00",
    "STOP 417", "stop a 417", "A 417 STOP", "please stop", "stop please", "STOP!!", "STOPP",
    "stop-all", "stop all now", "START ALL", "yes please", "HELP 417", "? 417", "??",
    "status 417", "help me", "P 417 please",
    "pasſ 417", "ac\u212a 417", "ſtop", "ＳＴＯＰ", "Ａ 417",
    "A\u00a0417\u00a0418", "A\u00a0\u00a0P 417", "STOP\u00a0417", "A\u00a0ok",
    "A " + "4" * 500, "A 417" + "x" * 1000, "A 417 " * 40, "x" * 10_000,
    "A 417" + " " * MAX_REPLY, "STOP" + " " * MAX_REPLY,
]


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_or_ambiguous_replies_are_unrecognised(body: str) -> None:
    result = parse_reply(body)
    assert isinstance(result, Unrecognised)
    assert len(result.text) <= 160 and result.text in body
    assert result.text == body.strip()[:160]


@pytest.mark.parametrize(
    "body", ["A ٤١٧", "A ４１７", "A ໔໑໗", "٤١٧ a", "A 4١7", "P ٤١٧", "R ４１７", "٤١٧",
             "A ١٧", "A ١٧١", "A ²", "A ²¹⁷", "A 4²7", "A 417²", "A\u00a0٤١٧", "A\u00a0²¹⁷",
             "٤١٧\u00a0a", "F\u00a0٤١٧ done", "A\u00a0４１７"]
)
def test_unicode_digits_are_never_a_code(body: str) -> None:
    """Regression: \\d once matched any Unicode digit, so 'A ٤١٧' was Accept('٤١٧'). The
    Unicode spaces accepted since must not let them in either."""
    assert isinstance(parse_reply(body), Unrecognised)


@pytest.mark.parametrize("padding", [155, 160, 1000])
def test_text_beyond_160_characters_still_counts(padding: int) -> None:
    """Regression: the body was cut to 160 characters before matching, so 'A 417', padding,
    'and 418' was Accept('417')."""
    assert isinstance(parse_reply("A 417" + " " * padding + "and 418"), Unrecognised)


def test_trailing_whitespace_up_to_the_longest_sms_still_counts() -> None:
    assert parse_reply("A 417" + " " * (MAX_REPLY - 5)) == Command(Verb.ACCEPT, "417")
    assert parse_reply("STOP" + " " * (MAX_REPLY - 4)) == OptOut("STOP")
    assert isinstance(parse_reply("A 417" + " " * (MAX_REPLY - 4)), Unrecognised)


def test_overlong_input_is_unrecognised_without_matching(monkeypatch: pytest.MonkeyPatch) -> None:
    class Refuse:
        def fullmatch(self, text: str) -> None:
            raise AssertionError("an overlong body reached a regex")

    monkeypatch.setattr(replies, "_COMMAND", Refuse())
    monkeypatch.setattr(replies, "_KEYWORD", Refuse())
    assert parse_reply("A 417" + " " * MAX_REPLY) == Unrecognised("A 417")


@PROPERTY
@given(st.text(max_size=30))
def test_stop_is_never_a_command(noise: str) -> None:
    for body in (f"stop{noise}", f"{noise}STOP", f"{noise} Stop {noise}"):
        assert not isinstance(parse_reply(body), Command)


# Properties over arbitrary text, against the grammar as documented above


def _is_code(text: str) -> bool:
    return len(text) in (3, 4) and all(c in "0123456789" for c in text)


def documented(body: str) -> Reply:
    """The module docstring's grammar, written as string handling rather than one regex."""
    unrecognised = Unrecognised(body.strip()[:160])
    if len(body) > MAX_REPLY or any(not c.isascii() and c not in ZS for c in body):
        return unrecognised
    text = body.strip(SPACE)
    if text.endswith((".", "!")):
        text = text[:-1].rstrip(SPACE)
    low = text.lower()
    for word, verb in WORD_VERB.items():
        if low == word:
            return Command(verb, None)
        if low.startswith(word):
            rest = low[len(word):].lstrip(SPACE)
            if rest[:1] in ("#", ":", ".", "-"):
                rest = rest[1:].lstrip(SPACE)
            if _is_code(rest):
                return Command(verb, rest)
        if low.endswith(word) and _is_code(low[: -len(word)].rstrip(SPACE)):
            return Command(verb, low[: -len(word)].rstrip(SPACE))
    for word in FOLLOW_UP_WORDS:
        for outcome, done in OUTCOMES.items():
            if low.startswith(word) and low.endswith(outcome):
                middle = low[len(word): len(low) - len(outcome)]
                if len(middle) < 1 or middle[-1] not in SPACE:
                    continue
                rest = middle.strip(SPACE)
                if not rest:
                    return FollowUpReport(None, done)
                if rest[0] in ("#", ":", ".", "-"):
                    rest = rest[1:].lstrip(SPACE)
                if _is_code(rest):
                    return FollowUpReport(rest, done)
    keyword = " ".join(re.split(f"[{re.escape(SPACE)}]+", low)).upper()
    if keyword.lower() in HELP_WORDS:
        return Help()
    if keyword.lower() in STATUS_WORDS:
        return StatusRequest()
    if keyword.lower() in OPT_OUT_WORDS or keyword == "STOP ALL":
        return OptOut(keyword)
    if keyword.lower() in OPT_IN_WORDS:
        return OptIn(keyword)
    return unrecognised


FRAGMENTS = [
    *WORD_VERB, "A", "Ack", "PASS", "Done", "417", "4170", "41", "41700", "4", "0",
    " ", "  ", "\t", "\n", "\r\n", "\x0b", "\x1c", "\u00a0", "\u202f", "\u2007", "\u3000",
    "\u1680", "\u2028", "\x85", "\u200b", "²", "١٧", "#", ":", ".", "-", "!", "?",
    "stop", "STOP", "all", "start", "yes", "help", "status", "x", "\x00", "٤", "\u212a", "ſ",
    "F", "fu", "follow-up", "Followup", "f417", "done", "tried", "attempt", "completed",
]
near_misses = st.lists(st.sampled_from(FRAGMENTS), max_size=6).map("".join)
SPACES = ["", " ", "  ", "\t", "\n ", "\x0b", "\u00a0", "\u202f", "\u3000 ", "\u2007"]
PARTS = {
    "lead": SPACES, "before": SPACES, "after": SPACES, "tail": SPACES, "end": SPACES,
    "word": list(WORD_VERB), "sep": ["", "#", ":", ".", "-"], "code": ["", "417", "4170"],
    "punct": ["", ".", "!"],
}
KEYWORDS = [*HELP_WORDS, *STATUS_WORDS, *OPT_OUT_WORDS, *OPT_IN_WORDS, "stop all"]
_ODD_SPACES = ["\x1c", "\x85", "\u2028", "\u200b", "\ufeff", " x ", "\x00"]
NEAR_MISSES = {
    "lead": _ODD_SPACES, "before": _ODD_SPACES, "after": _ODD_SPACES, "tail": _ODD_SPACES,
    "end": _ODD_SPACES,
    "word": ["", "b", "aa", "ap", "a p", "accepting", "start all", "stop alll", "ok", "ſtop",
             "pasſ", "ac\u212a", "\u212a", "ı", "Ａ", "ｓｔｏｐ", "stop 417", "a 417"],
    "sep": [",", "##", ":-", "/", "!", "?", "_", ". ."],
    "code": ["41", "41700", "4 17", "٤١٧", "４１７", "4I7", "417 418", "0x1A", "417a", "١٧",
             "²¹⁷", "4²7", "4\u00a017"],
    "punct": ["..", "!!", "?", ",", ".!", ";"],
}


@st.composite
def grammar_shaped(draw: st.DrawFn) -> str:
    """A body built from the grammar's parts, then usually one part swapped for a near miss."""
    parts = {name: draw(st.sampled_from(choices)) for name, choices in PARTS.items()}
    if draw(st.booleans()):
        parts.update(word=draw(st.sampled_from(KEYWORDS)), sep="", code="")
    parts["word"] = draw(any_case(parts["word"]))
    swapped = draw(st.sampled_from([None, *PARTS]))
    if swapped is not None:
        parts[swapped] = draw(st.sampled_from(NEAR_MISSES[swapped]).flatmap(any_case))
    first, last = (parts["word"], parts["code"]) if draw(st.booleans()) else (
        parts["code"], parts["word"])
    p = parts
    return (f"{p['lead']}{first}{p['before']}{p['sep']}{p['after']}{last}{p['tail']}"
            f"{p['punct']}{p['end']}")


bodies = st.one_of(
    grammar_shaped(), near_misses, st.text(max_size=40),
    st.text(alphabet="aApPrRcCeEtTdDoOnNsSxkK0123456789 #:.-!?\t\n", max_size=24),
)


@PROPERTY
@given(bodies)
def test_parse_reply_never_raises_and_a_code_comes_from_the_text(body: str) -> None:
    result = parse_reply(body)
    if isinstance(result, Command) and result.code is not None:
        assert result.code in body
        assert _is_code(result.code)


@PROPERTY
@given(bodies)
def test_text_outside_the_documented_grammar_is_never_a_command(body: str) -> None:
    if not isinstance(documented(body), Command):
        assert not isinstance(parse_reply(body), Command)


@settings(max_examples=1000, deadline=None)
@given(bodies)
def test_the_parser_is_exactly_the_documented_grammar(body: str) -> None:
    assert parse_reply(body) == documented(body)


_SQUEEZE = re.compile(r"[\s#:.\-!]")


@PROPERTY
@given(st.text(alphabet="aAcCeEpPtTdDkKbx0123456789 #:.-!?\t\n", max_size=24))
def test_any_command_is_one_word_and_at_most_one_code(body: str) -> None:
    result = parse_reply(body)
    if not isinstance(result, Command):
        return
    code = result.code or ""
    squeezed = _SQUEEZE.sub("", body.lower())
    words = VERB_WORDS[result.verb]
    assert squeezed in {f"{w}{code}" for w in words} | {f"{code}{w}" for w in words}


@PROPERTY
@given(st.text(max_size=400))
def test_unrecognised_text_is_bounded_and_taken_from_the_body(body: str) -> None:
    result = parse_reply(body)
    if isinstance(result, Unrecognised):
        assert len(result.text) <= 160
        assert result.text in body
        assert result.text == "" or not result.text[0].isspace()


# Follow-up reports


@PROPERTY
@given(data=st.data(), code=st.one_of(st.none(), codes), lead=spaces, sep=separators,
       before=spaces, gap=st.sampled_from([" ", "  ", "\t", " \n", "\u00a0", "\u202f"]),
       punct=puncts, end=spaces)
def test_follow_up_reports(data: st.DataObject, code: str | None, lead: str, sep: str,
                           before: str, gap: str, punct: str, end: str) -> None:
    word = data.draw(st.sampled_from(FOLLOW_UP_WORDS).flatmap(any_case))
    outcome = data.draw(st.sampled_from(list(OUTCOMES)))
    middle = f"{before}{sep} {code}" if code else ""
    body = f"{lead}{word}{middle}{gap}{data.draw(any_case(outcome))}{punct}{end}"
    assert parse_reply(body) == FollowUpReport(code, OUTCOMES[outcome])


@pytest.mark.parametrize("body", [
    "F 417", "F", "F417done", "F 417 done now", "F done done", "F 417 418 done", "F . done",
    "F 41 done", "FF 417 done", "F 417 reached", "F 417 tried twice", "done 417 F",
    "417 F done", "F 417 d", "F 417 ok",
])
def test_follow_up_near_misses_are_not_reports(body: str) -> None:
    assert not isinstance(parse_reply(body), FollowUpReport)


def test_f_done_is_not_a_resolve() -> None:
    """'done' alone resolves; with F it only reports the follow-up."""
    assert parse_reply("F 417 done") == FollowUpReport("417", True)
    assert parse_reply("done 417") == Command(Verb.RESOLVE, "417")
