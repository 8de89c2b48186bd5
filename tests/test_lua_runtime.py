"""The sandboxed runtime: escapes fail, runaway code stops, errors come back as one line."""

from __future__ import annotations

import threading
import time

import pytest

from smelt_repl.lua.runtime import LuaRuntimeBox, one_line


@pytest.fixture
def box() -> LuaRuntimeBox:
    return LuaRuntimeBox(max_memory=64 * 1024 * 1024, budget=lambda: 2_000_000)


def run(box: LuaRuntimeBox, code: str, name: str = "@t.lua"):
    return box.run(code, name)


@pytest.mark.parametrize("code", [
    "return python.eval('1')",
    "return python.builtins.__import__('os')",
    "return package.loaded.python.eval('1')",
    "return require('python')",
    "return require('os.path')",
    "return require('subprocess')",
    "return string.dump(function() end)",
    "return load(string.char(27) .. 'LuaT')()",
    "return debug.getupvalue(print, 1)",
    "return debug.getregistry()",
    "return package.loadlib('libc.so.6', 'system')",
])
def test_escapes_fail(box, code):
    result = run(box, code)
    assert not result.ok, result.values


def test_no_python_object_reachable_through_bound_functions(box):
    box.install_api({"probe.fn": lambda *a: (None, None)})
    for attr in ("__class__", "__globals__", "__dict__", "__self__", "__call__", "func_globals"):
        code = f"""
            local f = smelt.probe.fn
            local ok, v = pcall(function() return f.{attr} end)
            assert(not ok or v == nil, 'reached {attr}')
            local info = debug.getinfo(f, 'u')
            assert(debug.getupvalue == nil and info.nups >= 1)
        """
        result = run(box, code)
        assert result.ok, result.error


def test_python_exception_objects_expose_no_attributes(box):
    def raiser(*args):
        raise RuntimeError("x")

    fn = box.lua.eval("function(f) local ok, e = pcall(f); return pcall(function() return e.args end) end")
    ok, _ = box.lua.eval("function(g, f) return g(f) end")(fn, raiser)
    assert ok is False


def test_text_load_and_standard_libraries_still_work(box):
    result = run(box, "return load('return 1 + 1')(), type(io.open), type(os.time), string.rep('a', 3)")
    assert result.values == (2, "function", "function", "aaa")


def test_error_is_one_line_with_location(box):
    result = run(box, "local x = 1\n\nfoo()", "@init.lua")
    assert result.error == "init.lua:3: attempt to call a nil value (global 'foo')"


def test_syntax_error_is_one_line(box):
    result = run(box, "x = = 1", "@init.lua")
    assert result.error == "init.lua:1: unexpected symbol near '='"


def test_non_string_error_objects(box):
    assert run(box, "error({})").error == "t.lua:1: (error object is a table value)"
    custom = "error(setmetatable({}, {__tostring = function() return 'custom' end}))"
    assert run(box, custom).error == "t.lua:1: custom"
    assert run(box, "error('multi\\nline', 0)").error == "t.lua:1: multi line"


def test_one_line_drops_traceback():
    assert one_line("a.lua:1: boom\nstack traceback:\n\t[C]: in ?") == "a.lua:1: boom"


def test_budget_stops_runaway_loop_and_runtime_carries_on(box):
    started = time.perf_counter()
    result = run(box, "local n = 0\nwhile true do n = n + 1 end")
    assert not result.ok and result.error.startswith("t.lua:2: instruction budget exceeded")
    assert time.perf_counter() - started < 2
    assert run(box, "return 40 + 2").values == (42,)


def test_budget_cannot_be_swallowed_by_pcall_loop(box):
    result = run(box, "while true do pcall(function() while true do end end) end")
    assert not result.ok and "instruction budget exceeded" in result.error


def test_budget_covers_coroutines(box):
    result = run(box, """
        local co = coroutine.create(function() while true do end end)
        local ok, err = coroutine.resume(co)
        assert(not ok)
        error(err, 0)
    """)
    assert "instruction budget exceeded" in result.error
    wrapped = run(box, "coroutine.wrap(function() while true do end end)()")
    assert "instruction budget exceeded" in wrapped.error


def test_budget_zero_disables_it():
    box = LuaRuntimeBox(budget=lambda: 0)
    assert box.run("for i = 1, 3000000 do end return 1", "=x").ok


def _interrupt_soon(box: LuaRuntimeBox, delay: float = 0.1) -> threading.Thread:
    def fire() -> None:
        while not box.running:
            time.sleep(0.005)
        time.sleep(delay)
        box.interrupt()

    thread = threading.Thread(target=fire)
    thread.start()
    return thread


@pytest.mark.parametrize("code", [
    "while true do end",
    "local co = coroutine.create(function() while true do end end)\nassert(coroutine.resume(co))",
    "coroutine.wrap(function() while true do end end)()",
])
def test_interrupt_from_another_thread(code):
    box = LuaRuntimeBox(budget=lambda: 0)  # no budget: only the interrupt can stop it
    thread = _interrupt_soon(box)
    started = time.perf_counter()
    result = box.run(code, "@loop.lua")
    thread.join()
    assert not result.ok and result.error.endswith("interrupted")
    assert result.error.startswith("loop.lua:")
    assert time.perf_counter() - started < 2
    assert box.run("return 1", "=x").ok  # idle again, the flag is cleared


def test_interrupt_when_idle_is_a_no_op(box):
    box.interrupt()
    assert run(box, "return 1").ok


def test_memory_cap(box):
    box_budgetless = LuaRuntimeBox(max_memory=32 * 1024 * 1024, budget=lambda: 0)
    result = box_budgetless.run("local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(64) .. i end", "=m")
    assert not result.ok and "not enough memory" in result.error
    assert box_budgetless.run("return #('ok')", "=x").values == (2,)


def test_keyboard_interrupt_in_python_stops_lua_then_reraises(box):
    def ctrl_c(*args):
        raise KeyboardInterrupt

    from smelt_repl.lua.bindings import Tier, guard

    box.install_api({"x.ctrl_c": guard("x.ctrl_c", ctrl_c, Tier.HOST, lambda: True, box.note_keyboard_interrupt)})
    with pytest.raises(KeyboardInterrupt):
        run(box, "pcall(smelt.x.ctrl_c) while true do end")
    assert run(box, "return 1").ok
