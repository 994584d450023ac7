"""Each state-machine JSONPath parsed once, one thread at a time.

moto evaluates every JSONPath of the state machine (each Parameters ``"x.$"``, InputPath,
ResultPath, Choice variable) through jsonpath_ng's ``parse()``, which builds a new ply
parser, tables and all, on every call: milliseconds each, and done by many execution
threads at once, which ply was never written for (a CI run died in a segfault inside ply's
yacc while eight ladders ran). A parsed path is immutable and reusable: :func:`install`
points the ``parse`` that moto's ``extract_json`` calls at a cache that parses each distinct
path once, under a lock. :func:`verify` checks that ``extract_json`` still calls it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from local.moto import patching
from local.moto.patching import PARSER, Check, original, source

_M_JSON_PATH = f"{PARSER}.utils.json_path"

_lock = threading.Lock()
_parsed: dict[str, Any] = {}
_verified = False


def install() -> None:
    patching.replace((_M_JSON_PATH, "parse"), patching.module(_M_JSON_PATH), "parse",
                     _cached_parse)


def verify() -> None:
    """Raise :class:`~local.moto.patching.MotoMoved` if moto's ``extract_json`` no longer
    parses through its module's ``parse``."""
    global _verified
    _verified = _verified or patching.check_moto(__name__, _checks)


def _checks() -> Iterator[Check]:
    yield (f"{_M_JSON_PATH}.extract_json calls the module's parse(path)",
           lambda: "parse(path)" in source(_M_JSON_PATH, "extract_json")
           and callable(original(_M_JSON_PATH, "parse")))


def _cached_parse(path: str) -> Any:
    with _lock:
        parsed = _parsed.get(path)
        if parsed is None:
            parsed = original(_M_JSON_PATH, "parse")(path)
            _parsed[path] = parsed
        return parsed
