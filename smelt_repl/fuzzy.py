"""Fuzzy matching for pickers: is the query a subsequence of a text, and how good a match.

Both sides are compared case-insensitively (callers pass them lowercased, once). A match
scores higher for contiguous runs of query characters, for characters at the start of a
word, and for starting early in the text. ``None`` means no match.

Three alignments of the query are tried and the best one counts: the query as a substring,
the shortest window found by a forward then backward scan, and one that prefers word starts.
A query found as a whole substring takes the fast path (only that alignment), which keeps
the scorer cheap on the 10,000 rows a one-letter query matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

MATCH = 16  # each matched character
RUN = 12  # a character right after the previous matched one
WORD_START = 10  # a character at the start of a word
EARLY_CAP = 15  # at most this much is lost for starting late
GAP_CAP = 20  # at most this much is lost for characters skipped inside the match
ROW_SEPARATOR = "\x1e"  # never in a text split on whitespace (str.split() removes it)


def fuzzy_score(query: str, text: str) -> int | None:
    """The score of lowercased ``query`` in lowercased ``text``; None when it is not a
    subsequence of it. The empty query matches everything with 0."""
    if not query:
        return 0
    at = text.find(query)
    if at >= 0:  # the fast path: a run as long as the query (the query's own word starts count)
        n = len(query)
        starts = (at == 0 or not text[at - 1].isalnum()) + _inner_word_starts(query)
        return n * MATCH + (n - 1) * RUN + starts * WORD_START - min(at, EARLY_CAP)
    window = _shortest_window(query, text)
    if window is None:
        return None
    words = _word_start_alignment(query, text)
    best = _score(text, window)
    return best if words is None else max(best, _score(text, words))


def compile_prefilter(query: str) -> Callable[[str], object]:
    """A fast test (one regex search) of whether lowercased ``query`` is a subsequence of one
    of the newline-separated lines of a text; used to reject rows before scoring them."""
    return re.compile(prefilter_pattern(query)).search


def prefilter_pattern(query: str) -> str:
    """The regex of ``compile_prefilter``. No match crosses a newline or a ROW_SEPARATOR, so
    texts joined by ROW_SEPARATOR can be searched in one scan (``session_match.py``)."""
    # "[^c\n]*c" takes the next c without backtracking (a lazy ".*?" between the characters
    # backtracks through every alignment when the last one is missing)
    escaped = [re.escape(ch) for ch in query]
    return escaped[0] + "".join(f"[^{ch}\n{ROW_SEPARATOR}]*{ch}" for ch in escaped[1:])


def is_word_start(text: str, index: int) -> bool:
    """True when ``text[index]`` begins a word (text start, or after a non-alphanumeric)."""
    return index == 0 or not text[index - 1].isalnum()


@lru_cache(maxsize=64)
def _inner_word_starts(query: str) -> int:
    return sum(1 for i in range(1, len(query)) if not query[i - 1].isalnum()) if len(query) > 1 else 0


def _score(text: str, positions: range | list[int]) -> int:
    score = 0
    previous = -2
    for index in positions:
        score += MATCH
        if index == previous + 1:
            score += RUN
        if is_word_start(text, index):
            score += WORD_START
        previous = index
    first, last = positions[0], positions[-1]
    gaps = (last - first + 1) - len(positions)
    return score - min(first, EARLY_CAP) - min(gaps, GAP_CAP)


def _shortest_window(query: str, text: str) -> list[int] | None:
    """Forward: where the earliest match ends; backward from there: the latest start, so the
    window is as short as the first match allows."""
    end = -1
    for ch in query:
        end = text.find(ch, end + 1)
        if end < 0:
            return None
    positions = [end]
    for ch in reversed(query[:-1]):
        positions.append(text.rfind(ch, 0, positions[-1]))
    positions.reverse()
    return positions


def _word_start_alignment(query: str, text: str) -> list[int] | None:
    """Each query character at the next word start holding it, else at its next occurrence."""
    positions: list[int] = []
    start = 0
    for ch in query:
        index = _next_word_start(text, ch, start)
        if index < 0:
            index = text.find(ch, start)
            if index < 0:
                return None
        positions.append(index)
        start = index + 1
    return positions


def _next_word_start(text: str, ch: str, start: int) -> int:
    index = text.find(ch, start)
    while index >= 0 and not is_word_start(text, index):
        index = text.find(ch, index + 1)
    return index
