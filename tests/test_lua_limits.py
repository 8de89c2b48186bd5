"""Guards on the C functions that can run long: each refuses a runaway call with a message that
names the function and the limit, normal calls pass, scripts cannot take the guards off, and
Ctrl-C still stops a loop of long-but-allowed calls.

Runaway code runs in a daemon thread with a deadline, so a regression fails instead of
hanging the test run.
"""

from __future__ import annotations

import threading
import time

import pytest

from smelt_repl.lua.bindings import Tier, guard
from smelt_repl.lua.limits import MAX_REPS, MAX_SORT
from smelt_repl.lua.runtime import CallResult, LuaRuntimeBox
from tests.lua_helpers import host  # noqa: F401


@pytest.fixture(scope="module")
def box() -> LuaRuntimeBox:
    return LuaRuntimeBox(budget=lambda: 0)  # no budget: only the guards stand in the way


def run(box: LuaRuntimeBox, code: str) -> CallResult:
    """Run ``code`` as ``t.lua`` in a daemon thread; fail if it is still running after 10 s."""
    out: list[CallResult] = []
    worker = threading.Thread(target=lambda: out.append(box.run(code, "@t.lua")), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "a guarded call ran away"
    return out[0]


def refused(box: LuaRuntimeBox, code: str) -> str:
    result = run(box, code)
    assert not result.ok, result.values
    return result.error


def value(box: LuaRuntimeBox, expr: str):
    result = run(box, "return " + expr)
    assert result.ok, result.error
    return result.value


# -- string.rep ---------------------------------------------------------------------------------

def test_rep_of_empty_string_counts_repetitions(box):
    assert refused(box, 'local s = string.rep("", 1e15)') == (
        "t.lua:1: string.rep: 1e15 repetitions is over the limit of 33554432")


@pytest.mark.parametrize("code", ['string.rep("x", 1e15)', '("x"):rep(1e15)', '("x"):rep("1e15")',
                                  'string.rep(12, 1e15)', 'string.rep("x", 1e15 // 2, ",")'])
def test_rep_refuses_huge_results_in_every_form(box, code):
    assert "string.rep: result of " in refused(box, code)
    assert refused(box, code).endswith("bytes is over the limit of 64.0 MiB")


def test_rep_within_limits_works(box):
    assert value(box, '#("ab"):rep(2^20) + #string.rep("x", 3, ", ") + #(""):rep(0)') == 2**21 + 7
    assert value(box, 'string.rep(12, 2)') == "1212"
    assert refused(box, "string.rep('x', 2^24 + 1, 'abcd')").endswith("over the limit of 64.0 MiB")
    assert refused(box, f"string.rep('', {MAX_REPS + 1})").endswith(f"over the limit of {MAX_REPS}")
    assert refused(box, "string.rep('x', 2^16, 'y'):rep(2^10)").endswith("over the limit of 64.0 MiB")


def test_rep_argument_errors_still_name_rep_and_point_at_the_script(box):
    assert refused(box, "\nlocal s = string.rep()") == (
        "t.lua:2: bad argument #1 to 'rep' (string expected, got no value)")
    assert refused(box, "string.rep('x', 1.5)").endswith("number has no integer representation)")


# -- the pattern functions ----------------------------------------------------------------------

BACKTRACK = 'string.find(("a"):rep(40) .. "b", ("a*"):rep(40) .. "c")'


@pytest.mark.parametrize("call", [
    BACKTRACK,
    '(("a"):rep(40) .. "b"):find(("a*"):rep(40) .. "c")',
    'string.match(("a"):rep(40) .. "b", ("a*"):rep(40) .. "c")',
    'string.gmatch(("a"):rep(40) .. "b", ("a*"):rep(40) .. "c")()',
    'string.gsub(("a"):rep(40) .. "b", ("a*"):rep(40) .. "c", "")',
    'string.find(("1"):rep(14) .. "x", ("%d*"):rep(40) .. "c")',
    'string.find(12345678901234, ("%d*"):rep(40) .. "c")',
    'string.find(("a"):rep(2^20), ".-b")',
    'string.find(("("):rep(2^20), "%b()")',
])
def test_backtracking_patterns_are_refused_before_they_run(box, call):
    error = refused(box, "local x = " + call)
    name = "find" if "find" in call else next(n for n in ("gmatch", "match", "gsub") if n in call)
    assert error.startswith(f"t.lua:1: string.{name}: pattern too costly for a subject of ")
    assert "over the limit of 33554432" in error


def test_plain_find_is_bounded_by_subject_length(box):
    assert value(box, '("x"):rep(2^20):find("xy", 1, true)') is None
    error = refused(box, 'local s = ("x"):rep(2^25) local a = s:find(("x"):rep(200) .. "y", 1, true)')
    assert "string.find: plain search too costly for a subject of 32.0 MiB" in error


@pytest.mark.parametrize("expr, expected", [
    ('("key = value"):match("^(%w+)%s*=%s*(%w+)$")', "key"),
    ('("  padded  "):match("^%s*(.-)%s*$")', "padded"),
    ('select(2, ("a b  c"):gsub("%s+", " "))', 2),
    ('("x.y"):find(".", 1, true)', 2),
    ('string.find(123, 2)', 2),
    ('string.match("2024-01-02", "(%d+)-(%d+)")', "2024"),
])
def test_normal_pattern_use_is_unchanged(box, expr, expected):
    assert value(box, expr) == expected


BIG = """
local parts = {}
for i = 1, 12000 do parts[i] = "  The quick brown fox (" .. i .. ") jumps over the lazy dog.  " end
BIG = table.concat(parts, "\\n")
"""


@pytest.mark.parametrize("code", [
    'n = 0 for line in BIG:gmatch("[^\\n]+") do n = n + 1 end',
    'n = 0 for line in (BIG .. "\\n"):gmatch("(.-)\\n") do n = n + 1 end',
    'n = select(2, BIG:gsub("%s+", " "))',
    'n = #BIG:match("^%s*(.-)%s*$")',
    'n = 0 for k, v in BIG:gmatch("(%w+)%s+(%w+)") do n = n + 1 end',
    'n = select(2, BIG:gsub("%((%d+)%)", "[%1]"))',
    'n = BIG:find("lazy cat", 1, true) or 0',
])
def test_common_patterns_on_a_large_subject_pass(box, code):  # 700 KB
    result = run(box, BIG + code + " return n")
    assert result.ok, result.error


def test_gmatch_iterator_is_checked_when_created(box):
    assert value(box, '(function() local t = {} for w in ("a b c"):gmatch("%a") do t[#t + 1] = w end '
                      'return table.concat(t) end)()') == "abc"


# -- table.sort -------------------------------------------------------------------------------------

def test_sort_without_a_comparator_is_bounded(box):
    fill = f"local t = {{}} for i = 1, {MAX_SORT + 1} do t[i] = -i end"
    assert refused(box, f"{fill} table.sort(t)") == (
        f"t.lua:1: table.sort: {MAX_SORT + 1} items is over the limit of {MAX_SORT} without a comparator "
        "(give one to sort more)")
    assert value(box, f"(function() {fill} t[#t] = nil table.sort(t) return t[1] end)()") == -MAX_SORT


def test_sort_with_a_comparator_or_small_is_unchanged(box):
    assert value(box, "(function() local t = {3, 1, 2} table.sort(t) return table.concat(t, ',') end)()") == "1,2,3"
    assert value(box, "(function() local t = {3, 1, 2} table.sort(t, function(a, b) return a > b end) "
                      "return table.concat(t, ',') end)()") == "3,2,1"
    fill = f"local t = {{}} for i = 1, {MAX_SORT + 1} do t[i] = i end"
    assert value(box, f"(function() {fill} table.sort(t, function(a, b) return a > b end) return t[1] end)()") == MAX_SORT + 1
    assert refused(box, "table.sort({1, 'a'})").startswith("t.lua:1: attempt to compare")


# -- string.format and table.concat -------------------------------------------------------------

def test_format_result_over_the_limit_is_refused(box):
    assert value(box, 'string.format("%d: %5.1f %q", 3, 2.5, "x")') == '3:   2.5 "x"'
    error = refused(box, 'local s = ("x"):rep(2^20):rep(33) local r = string.format("%s%s", s, s)')
    assert error == "t.lua:1: string.format: result of 69206016 bytes is over the limit of 64.0 MiB"


def test_concat_of_a_table_with_metatable_counts_items_first(box):
    error = refused(box, 'local t = setmetatable({}, {__index = rawlen}) local s = table.concat(t, "", 1, 1e15)')
    assert error == ("t.lua:1: table.concat: 1e15 items is over the limit of 2097152 "
                     "for a table with a metatable")
    len_meta = 'setmetatable({}, {__len = function() return 3 end, __index = function(_, i) return i end})'
    assert value(box, f"table.concat({len_meta}, ',')") == "1,2,3"


def test_concat_result_over_the_limit_is_refused(box):
    assert value(box, 'table.concat({1, "b", 3}, ", ")') == "1, b, 3"
    error = refused(box, 'local s = ("x"):rep(2^20):rep(33) local r = table.concat({s, s})')
    assert error == "t.lua:1: table.concat: result of 69206016 bytes is over the limit of 64.0 MiB"
    assert refused(box, "table.concat({}, ',', 1, 1e15)") == "t.lua:1: invalid value (nil) at index 1 in table for 'concat'"


# -- scripts cannot take the guards off ---------------------------------------------------------

def test_method_calls_and_every_route_reach_the_guarded_functions(box):
    for route in ("string.rep", "getmetatable('').__index.rep", "require('string').rep",
                  "package.loaded.string.rep", "('').rep"):
        assert "over the limit" in refused(box, f"local r = {route}('', 1e15)")


def test_replaced_string_functions_never_reach_the_host(host, ui):  # noqa: F811
    result = host.run_chunk("""
        for _, lib in ipairs({string, table}) do
          for name in pairs(lib) do lib[name] = function() while true do end end end
        end
        print("host code", "still works")
        error("still one line")
    """, "@t.lua")
    assert result.error == "t.lua:6: still one line"
    assert ui.outputs == ["host code\tstill works"]


# -- Ctrl-C and the budget still apply between calls -------------------------------------------

@pytest.mark.parametrize("loop", [
    'local s = ("a"):rep(4000) while true do s:find("a*b") smelt.x.tick() end',
    'local s = ("x"):rep(2^20) while true do local r = s:rep(16) smelt.x.tick() end',
    'local t = {("x"):rep(2^20)} for i = 2, 32 do t[i] = t[1] end while true do table.concat(t) smelt.x.tick() end',
    'local s = ("a b "):rep(2^18) while true do s:gsub("%s+", "") smelt.x.tick() end',
])
def test_ctrl_c_stops_a_loop_of_long_allowed_calls_within_a_second(loop):
    box = LuaRuntimeBox(budget=lambda: 0)
    calls = []
    looping = threading.Event()

    def tick() -> None:
        calls.append(1)
        if len(calls) == 3:
            looping.set()

    box.install_api({"x.tick": guard("x.tick", tick, Tier.HOST, lambda: True, lambda: None)})
    out: list[CallResult] = []
    worker = threading.Thread(target=lambda: out.append(box.run(loop, "@loop.lua")), daemon=True)
    worker.start()
    assert looping.wait(10)
    box.interrupt()
    interrupted_at = time.perf_counter()
    worker.join(10)
    assert not worker.is_alive()
    assert time.perf_counter() - interrupted_at < 1.0
    assert not out[0].ok and out[0].error.endswith("interrupted")
    assert out[0].error.startswith("loop.lua:1:")


def test_budget_stops_a_loop_of_guarded_calls():
    box = LuaRuntimeBox(budget=lambda: 1_000_000)
    result = box.run("local s = ('a'):rep(3000) .. 'b'\nwhile true do s:find('a-b') end", "@b.lua")
    assert result.error.startswith("b.lua:2: instruction budget exceeded")


def test_a_scanned_subject_is_not_kept_past_its_entry():
    box = LuaRuntimeBox(max_memory=100 * 1024 * 1024, budget=lambda: 0)
    for end in "yz":  # 40 MiB each, made with a 40 MiB buffer: one kept from before would not fit
        code = (f'local s = (("x"):rep(2^20 - 1) .. "{end}"):rep(40)\n'
                f'assert(not pcall(string.gmatch, s, "(.-){end}"))  -- refused, once scanned')
        result = box.run(code, "@big.lua")
        assert result.ok, result.error
