"""Ranking the sessions picker's rows by a typed query on title and first message, fast
enough to redo on every keystroke with 10,000 sessions.

The rows of one scope are kept as a ``RowIndex``: each row's haystack (title and first
message, blanks collapsed, lowercased) and all haystacks joined by ``fuzzy.ROW_SEPARATOR``
into one text. A query is then one regex scan of that text (``fuzzy.prefilter_pattern``,
which never matches across rows) rather than a search call per row; a query that extends
the last one and matched few rows searches only those, row by row. Both ways find the same
rows and spans. The last REMEMBERED rankings are kept. Rows are referred to by their index in the scope, and orders are sorted as
plain ints, so a keystroke allocates little for the garbage collector to look at.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate

from smelt_repl.fuzzy import ROW_SEPARATOR, fuzzy_score, prefilter_pattern

EXACTLY_RANKED = 300  # matches fuzzy-scored a keystroke; the rest keep the cheap order
REMEMBERED = 16  # rankings kept, so Backspace (or typing a query again) costs nothing
FEW = 8  # a query extending the last searches its matches row by row below 1/FEW of the rows

Haystack = tuple[str, str, str]  # title and first message lowercased: joined by a newline, title, first


def haystack(row: dict) -> Haystack:
    """What a query is matched against in ``row``: its title and first message."""
    title, first = (" ".join(str(row.get(field) or "").split()).lower() for field in ("title", "subtitle"))
    return (f"{title}\n{first}", title, first)


class RowIndex:
    """The rows of one scope and their haystacks, joined for one-scan searches."""

    def __init__(self, rows: list[dict], haystacks: list[Haystack]) -> None:
        self.rows, self.haystacks = rows, haystacks
        self._text = ROW_SEPARATOR.join(hay[0] for hay in haystacks)
        self._starts = list(accumulate((len(hay[0]) + 1 for hay in haystacks[:-1]), initial=0))
        self._ranked: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}

    def rank(self, query: str, among: Sequence[int] | None = None) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The indexes of the rows whose title or first message lowercased ``query`` matches:
        best first, and in row order. ``among``: the matches of a query this one extends.

        The cheap order is the matched span's length, then its start; the fuzzy score, which
        costs more, sorts the first EXACTLY_RANKED of that order; the rest follow in the cheap
        order. Ties keep the row order (newest first)."""
        ranked = self._ranked.pop(query, None) or self._rank(query, among)
        self._ranked[query] = ranked  # the newest last: the oldest is dropped first
        if len(self._ranked) > REMEMBERED:
            del self._ranked[next(iter(self._ranked))]
        return ranked

    def _rank(self, query: str, among: Sequence[int] | None) -> tuple[tuple[int, ...], tuple[int, ...]]:
        keys = self._match_keys(query, among)
        count = len(self.rows)
        in_order = [key % count for key in keys]
        keys.sort()
        cheap = [key % count for key in keys]
        score, haystacks = fuzzy_score, self.haystacks
        exact = [(max((haystacks[i][1] and score(query, haystacks[i][1])) or 0,
                      score(query, haystacks[i][2]) or 0), i) for i in cheap[:EXACTLY_RANKED]]
        exact.sort(key=lambda pair: -pair[0])  # stable: equal scores keep the cheap order
        return (*(i for _, i in exact), *cheap[EXACTLY_RANKED:]), tuple(in_order)

    def _match_keys(self, query: str, among: Sequence[int] | None) -> list[int]:
        """One int a matching row, in row order: (span length, span start, row index) packed
        so that sorting the ints sorts by them."""
        count, width = len(self.rows), len(self._text) + 1
        keys: list[int] = []
        if ROW_SEPARATOR in query or (among is not None and len(among) * FEW < count):
            search, haystacks = re.compile(prefilter_pattern(query)).search, self.haystacks
            for i in range(count) if among is None else among:
                match = search(haystacks[i][0])
                if match:
                    start, end = match.span()
                    keys.append(((end - start) * width + start) * count + i)
            return keys
        starts = self._starts
        # the match, then the rest of its row: the next match found is in a later row
        for match in re.finditer(f"({prefilter_pattern(query)})[^{ROW_SEPARATOR}]*", self._text):
            start, end = match.span(1)
            i = bisect_right(starts, start) - 1
            keys.append(((end - start) * width + start - starts[i]) * count + i)
        return keys
