"""A call's conversation: its TwiML fetched and interpreted as Twilio interprets it.

Once a call is answered, its ``Url`` (or inline ``Twiml``) is fetched with a signed POST and
the document played: ``<Say>`` (its text recorded), ``<Pause>``, ``<Gather>`` (the human
presses the scripted keys, one Gather at a time; a machine never does), ``<Redirect>``,
``<Hangup>``. The next document is POSTed for with the Digits pressed, until the call hangs
up, a document fails (HTTP error, bad TwiML) or more than :data:`MAX_TWIML_DOCUMENTS` were
played (a Redirect/Gather loop). ``transcript(call_sid)`` tells what was said and pressed.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from urllib.parse import urljoin

from local.fake_twilio.account import CallState
from local.fake_twilio.wire import call_fields
from local.fake_twilio.workers import Workers

LOG = logging.getLogger(__name__)

MAX_TWIML_DOCUMENTS = 20  # per call: a Redirect/Gather loop ends the call after this many


class Conversation(Workers):
    """The TwiML interpreter of the fake."""

    def _run_twiml(self, state: CallState, keys: list[str], gen: int) -> None:
        """Fetch and interpret TwiML documents until the call ends."""
        call = state.call
        url: str | None = call.url
        extra: dict[str, str] = {}
        inline = call.twiml if not call.url else None
        documents = 0
        while True:
            documents += 1
            if documents > MAX_TWIML_DOCUMENTS:
                self._end_call(state, f"more than {MAX_TWIML_DOCUMENTS} TwiML documents "
                                      f"(a Redirect/Gather loop?)")
                return
            if inline is not None:
                text, inline = inline, None
            else:
                assert url is not None
                params = call_fields(state, "in-progress")
                params.update(extra)
                if "Digits" in extra:
                    with self._cond:
                        state.keys.append(extra["Digits"])
                status, text = self._post("voice", call.sid, url, params, gen)
                with self._cond:
                    state.requests.append((url, status))
                    self._cond.notify_all()
                if status is None:
                    self._end_call(state, f"the webhook raised for {url}")
                    return
                if not 200 <= status < 300:
                    self._end_call(state, f"HTTP {status} from {url}")
                    return
            try:
                root = ET.fromstring(text)
            except ET.ParseError as exc:
                self._end_call(state, f"unparsable TwiML from {url or 'Twiml'}: {exc}")
                return
            if _tag(root) != "Response":
                self._end_call(state, f"TwiML root is <{_tag(root)}>, not <Response>")
                return
            step = self._interpret(state, root, url, keys)
            if step is None:
                return
            url, extra = step
            if url is None:
                self._end_call(state, "a Gather or Redirect without a URL in inline TwiML")
                return

    def _interpret(self, state: CallState, root: ET.Element, url: str | None,
                   keys: list[str]) -> tuple[str | None, dict[str, str]] | None:
        """Play one document; the next URL to POST (and extra fields), or None to hang up."""
        for verb in root:
            name = _tag(verb)
            with self._cond:
                state.verbs.append(name)
            if name == "Say":
                self._say(state, verb)
            elif name == "Gather":
                for nested in verb:
                    if _tag(nested) == "Say":
                        self._say(state, nested)
                action = verb.get("action")
                target = urljoin(url, action) if url and action else (action or url)
                digits = _press(verb, keys)
                if digits:
                    return target, {"Digits": digits}
                if verb.get("actionOnEmptyResult") == "true":
                    return target, {"Digits": ""}
                # nobody pressed anything: Twilio goes on with the next verb
            elif name == "Redirect":
                target = (verb.text or "").strip()
                return (urljoin(url, target) if url else target or None), {}
            elif name in ("Hangup", "Reject"):
                return None
            # Pause, Play and anything else: nothing to record beyond the verb
        return None

    def _say(self, state: CallState, verb: ET.Element) -> None:
        text = " ".join("".join(verb.itertext()).split())
        with self._cond:
            state.said.append(text)
            self._cond.notify_all()

    def _end_call(self, state: CallState, error: str) -> None:
        with self._cond:
            state.error = error
            self._cond.notify_all()
        LOG.info("fake Twilio: call %s ended: %s", state.call.sid, error)


def _press(gather: ET.Element, keys: list[str]) -> str:
    """The digits a callee with ``keys`` left enters on ``gather`` (consumed from keys)."""
    if "dtmf" not in (gather.get("input") or "dtmf").split():
        return ""
    try:
        wanted = int(gather.get("numDigits") or 1)
    except ValueError:
        wanted = 1
    finish = gather.get("finishOnKey", "#")
    digits = ""
    while keys and len(digits) < wanted:
        key = keys.pop(0)
        if finish and key == finish:
            break
        digits += key
    return digits


def _tag(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]
