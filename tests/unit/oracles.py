"""Independent oracles for the property tests: computed from zoneinfo and unicodedata
directly, never with the module under test's helpers."""

from __future__ import annotations

import functools
import sys
import unicodedata
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


@functools.cache
def unicode_category(category: str) -> str:
    """Every character of a Unicode general category (``Zs``: the space separators), in
    code point order, as this Python's unicodedata has them."""
    return "".join(c for c in map(chr, range(sys.maxunicode + 1))
                   if unicodedata.category(c) == category)


@functools.cache
def bidi_controls() -> str:
    """Unicode's Bidi_Control characters: those of the explicit bidi classes (embeddings,
    overrides, isolates and their terminators) and the three implicit marks."""
    explicit = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
    marks = [unicodedata.lookup(n) for n in ("LEFT-TO-RIGHT MARK", "RIGHT-TO-LEFT MARK",
                                             "ARABIC LETTER MARK")]
    return "".join(sorted({c for c in map(chr, range(sys.maxunicode + 1))
                           if unicodedata.bidirectional(c) in explicit} | set(marks)))


def utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


def wall(tz: ZoneInfo, instant: datetime) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


@functools.cache
def transitions(tz_name: str, first_year: int = 2023, last_year: int = 2029,
                step_hours: int = 6) -> tuple[datetime, ...]:
    """UTC instants (whole seconds) in [first_year, last_year] where the zone's UTC offset
    changes. No zone changes twice within ``step_hours``."""
    tz = ZoneInfo(tz_name)
    out = []
    t = int(datetime(first_year, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(last_year + 1, 1, 1, tzinfo=UTC).timestamp())
    step = step_hours * 3600
    while t < end:
        before = datetime.fromtimestamp(t, tz).utcoffset()
        if before != datetime.fromtimestamp(t + step, tz).utcoffset():
            lo, hi = t, t + step
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if datetime.fromtimestamp(mid, tz).utcoffset() == before:
                    lo = mid
                else:
                    hi = mid
            out.append(datetime.fromtimestamp(hi, UTC))
        t += step
    return tuple(out)


@functools.cache
def oracle_instant(tz: ZoneInfo, naive: datetime) -> datetime:
    """The UTC instant a local wall time happens: its first occurrence, or the first instant
    whose wall clock reaches it when it falls in a spring-forward gap (whole seconds)."""
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if wall(tz, first) == naive:
        return first
    lo, hi = int(first.timestamp()) - 4 * 3600, int(first.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if wall(tz, datetime.fromtimestamp(mid, UTC)) >= naive:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)
