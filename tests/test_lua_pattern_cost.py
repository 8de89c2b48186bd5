"""The bound on pattern matching work (``smelt_repl.lua.pattern_cost``): what it accepts,
what it refuses, and that the longest subject it accepts for a backtracking shape really
matches in well under a second."""

from __future__ import annotations

import time

import lupa.lua54 as lua54
import pytest

from smelt_repl.lua.limits import MAX_STEPS
from smelt_repl.lua.runtime import LuaRuntimeBox


@pytest.fixture(scope="module")
def box() -> LuaRuntimeBox:
    return LuaRuntimeBox(budget=lambda: 0, max_memory=None)


def accepts(box: LuaRuntimeBox, name: str, subject: str, pattern: str, plain: bool | None = None) -> bool:
    refusal = box.pattern_check(name, subject, pattern, None, plain)
    if isinstance(refusal, tuple):  # (nil, steps): lupa hands back both values
        refusal = refusal[0]
    return refusal is None


TEXT = "\n".join(f"  line {i}: key_{i} = value {i}, more words here.  " for i in range(20_000))  # ~1.1 MB


@pytest.mark.parametrize("name, pattern", [
    ("gmatch", "[^\n]+"), ("gsub", "%s+"), ("find", "needle"), ("gmatch", "(.-)\n"),
    ("gsub", "(%w+) = (%w+)"), ("gmatch", "%f[%w]%w+"), ("gsub", "%b()"), ("match", "^(.-):"),
    ("match", "^%s*(.-)%s*$"), ("gsub", "\r\n"), ("gmatch", '"(.-)"'),
])
def test_common_patterns_on_a_megabyte_of_text_are_accepted(box, name, pattern):
    assert accepts(box, name, TEXT, pattern)


@pytest.mark.parametrize("name, subject, pattern", [
    ("find", "a" * 40 + "b", "a*" * 40 + "c"),
    ("match", "a" * 30, "a?" * 30 + "a" * 30),
    ("find", "a" * 100_000, "a*b"),
    ("find", "a" * 100_000, ".-b"),
    ("gmatch", "a" * 100_000, "(.-)\n"),
    ("match", "x" + " " * 100_000 + "x", "^%s*(.-)%s*$"),
    ("find", "(" * 100_000, "%b()"),
    ("gsub", "a" * 100_000, "(a*)%1b"),
    ("find", "a" * 2_000, ".*.*.*x"),
])
def test_backtracking_shapes_are_refused(box, name, subject, pattern):
    assert not accepts(box, name, subject, pattern)


def test_the_refusal_names_the_function_subject_and_limit(box):
    refusal = box.pattern_check("gsub", "a" * 100_000, "a-b", None, None)
    assert refusal.startswith("string.gsub: pattern too costly for a subject of 97.7 KiB (up to ")
    assert f"over the limit of {MAX_STEPS}" in refusal


def test_anchoring_and_gmatch(box):
    subject = "a" * 1_000_000
    assert accepts(box, "match", subject, "^a*b")  # one start: linear
    assert not accepts(box, "find", subject, "a*b")  # every start: quadratic
    carets = "^" * 100_000
    assert accepts(box, "find", carets, "^^*x")  # anchored, then a run of '^'
    assert not accepts(box, "gmatch", carets, "^^*x")  # gmatch reads the first '^' as a character


def test_plain_find_depends_on_needle_length(box):
    subject = "x" * 20_000_000
    assert accepts(box, "find", subject, "needle", plain=True)
    assert not accepts(box, "find", subject, "n" * 200, plain=True)


SHAPES = [  # (function, subject family, pattern): the subject at each size the worst case
    ("find", "a", "a*b"),
    ("find", "a", "[%w_]*="),
    ("gmatch", "a", "(%w+)=(%w+)"),
    ("find", " ", "%s*%S"),
]


@pytest.mark.parametrize("name, char, pattern", SHAPES)
def test_the_longest_accepted_subject_matches_in_well_under_a_second(box, name, char, pattern):
    lo, hi = 1, 1 << 16
    while hi - lo > 1:  # the longest subject the bound accepts
        mid = (lo + hi) // 2
        if accepts(box, name, char * mid, pattern):
            lo = mid
        else:
            hi = mid
    unguarded = lua54.LuaRuntime()
    timed = unguarded.eval("function(name, s, p) local f, c = string[name], os.clock() "
                           "if name == 'gmatch' then for _ in f(s, p) do end else f(s, p) end "
                           "return os.clock() - c end")
    started = time.perf_counter()
    timed(name, char * lo, pattern)
    assert time.perf_counter() - started < 0.8
