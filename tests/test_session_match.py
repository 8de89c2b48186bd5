"""The sessions picker's one-scan ranking (session_match.RowIndex) against the plain per-row
ranking it replaces: the same rows in the same order, for fresh, extending and shortened
queries, on rows that share words, repeat letters and hold characters regexes treat
specially."""

from __future__ import annotations

import random
from operator import itemgetter

import pytest

from smelt_repl.fuzzy import compile_prefilter, fuzzy_score
from smelt_repl.session_match import EXACTLY_RANKED, FEW, RowIndex, haystack

WORDS = ["frob", "widget", "answer", "question", "fix", "the", "bug", "in", "parser", "a.b", "[x]", "c++",
         "^caret", "dash-y", "ünïcode", "42", "9999", "HOW", "do", "I"]


def reference_rank(query: str, rows: list[dict]) -> list[int]:
    """The ranking as it was computed before: a prefilter search per row, sort by (span,
    start), fuzzy-score the first EXACTLY_RANKED and sort them by score."""
    prefilter = compile_prefilter(query)
    found = []
    for i, row in enumerate(rows):
        hay = haystack(row)
        match = prefilter(hay[0])
        if match:
            found.append((match.end() - match.start(), match.start(), i, hay))
    found.sort(key=itemgetter(0, 1))
    exact = [(i, max((title and fuzzy_score(query, title)) or 0, fuzzy_score(query, first) or 0))
             for _, _, i, (_, title, first) in found[:EXACTLY_RANKED]]
    exact.sort(key=itemgetter(1), reverse=True)
    return [i for i, _ in exact] + [i for _, _, i, _ in found[EXACTLY_RANKED:]]


def random_rows(seed: int, count: int) -> list[dict]:
    rng = random.Random(seed)

    def text() -> str | None:
        if rng.random() < 0.1:
            return None
        return (" " if rng.random() < 0.2 else "  \t").join(rng.choice(WORDS) for _ in range(rng.randint(0, 8)))

    return [{"id": f"{i:064x}", "title": text(), "subtitle": text()} for i in range(count)]


@pytest.mark.parametrize("seed", range(4))
def test_one_scan_ranking_equals_the_per_row_ranking(seed):
    rows = random_rows(seed, 900 if seed % 2 else 60)  # beyond EXACTLY_RANKED matches, and few
    index = RowIndex(rows, [haystack(row) for row in rows])
    queries = ["f", "fr", "frob", "frob w", "frob wi", "frob w", "e", "et", "etq", "a.", "a.b", "[", "[x", "c+",
               "^", "^c", "-", "ü", "üc", "4", "42", "i i", "zzz", "d  ", "\n", "t\nf", "\x1e"]
    previous: tuple[str, list[int]] | None = None
    for query in queries:
        among = previous[1] if previous is not None and query.startswith(previous[0]) else None
        ranked, in_order = index.rank(query, among)
        expected = reference_rank(query, rows)
        assert list(ranked) == expected, query
        assert list(in_order) == sorted(expected), query
        previous = (query, in_order)


def test_an_extending_query_with_few_matches_searches_them_row_by_row_and_agrees():
    rows = random_rows(7, 400)
    index = RowIndex(rows, [haystack(row) for row in rows])
    _, matched = index.rank("9999 wid")
    assert 0 < len(matched) * FEW < len(rows)  # the row-by-row path is the one taken next
    assert list(index.rank("9999 widg", matched)[0]) == reference_rank("9999 widg", rows)


def test_no_rows_match_nothing():
    assert RowIndex([], []).rank("a") == ((), ())
