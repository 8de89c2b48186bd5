"""The sandbox's invariants, route by route: the full ``debug`` library, ``string.dump``, C
loaders and the registry cannot come back; the instruction hook cannot be removed or
outrun (no script code runs with hooks off); no Python object is reachable from Lua.

Runaway code runs in a daemon thread with a deadline, so a regression fails instead of
hanging the test run.
"""

from __future__ import annotations

import threading
import time

import pytest

from smelt_repl.lua.bindings import Tier, guard
from smelt_repl.lua.runtime import CallResult, LuaRuntimeBox
from tests.lua_helpers import host, lua_value  # noqa: F401

DANGEROUS_DEBUG = ("debug", "gethook", "getlocal", "getmetatable", "getregistry", "getupvalue",
                   "getuservalue", "sethook", "setlocal", "setmetatable", "setupvalue",
                   "setuservalue", "setcstacklimit", "upvalueid", "upvaluejoin")


@pytest.fixture
def box() -> LuaRuntimeBox:
    runtime = LuaRuntimeBox(max_memory=64 * 1024 * 1024, budget=lambda: 2_000_000)
    runtime.install_api({
        "probe.value": guard("probe.value", lambda *a: "v", Tier.HOST, lambda: True, lambda: None),
        "probe.fail": guard("probe.fail", _fail, Tier.HOST, lambda: True, lambda: None),
    })
    return runtime


def _fail(*args):
    raise ValueError("refused")


def run(box: LuaRuntimeBox, code: str, name: str = "@t.lua") -> CallResult:
    result = box.run(code, name)
    assert result.ok, result.error
    return result


def run_bounded(box: LuaRuntimeBox, code: str, *, interrupt_after: float | None = None,
                deadline: float = 10.0) -> tuple[CallResult, float]:
    """Run ``code`` in a daemon thread; fail if it is still running after ``deadline``."""
    out: list[CallResult] = []
    worker = threading.Thread(target=lambda: out.append(box.run(code, "@loop.lua")), daemon=True)
    started = time.perf_counter()
    worker.start()
    if interrupt_after is not None:
        while not box.running and worker.is_alive():
            time.sleep(0.005)
        time.sleep(interrupt_after)
        box.interrupt()
    worker.join(deadline)
    assert not worker.is_alive(), "Lua kept running: neither the budget nor interrupt() stopped it"
    return out[0], time.perf_counter() - started


# -- the debug library --------------------------------------------------------------------------

@pytest.mark.parametrize("expr", [
    "debug", "require('debug')", "package.loaded.debug", "package.loaded._G.debug",
    "require('_G').debug", "coroutine.wrap(function() return require('debug') end)()",
    "load('return debug', 'x', 't', {debug = require('debug')})()",
])
def test_every_route_to_debug_gives_the_reduced_table(box, expr):
    names = run(box, f"""
        local d = {expr}
        assert(d == debug and d == package.loaded.debug and d == require('debug'))
        local names = {{}}
        for k in pairs(d) do names[#names + 1] = k end
        table.sort(names)
        return table.concat(names, ',')
    """).value
    assert names == "getinfo,traceback"


@pytest.mark.parametrize("name", DANGEROUS_DEBUG)
def test_require_debug_lacks_dangerous_functions(box, name):
    assert run(box, f"return require('debug').{name} == nil and package.loaded.debug.{name} == nil").value


def test_getinfo_never_hands_out_functions(box):
    result = run(box, """
        local found = {}
        local function scan(where, ...)
          for level = 0, 50 do
            local info = debug.getinfo(level)
            if info and info.func ~= nil then found[#found + 1] = where .. level end
          end
          local co = coroutine.running()
          for level = 0, 50 do
            local info = debug.getinfo(co, level, "flnSrtu")
            if info and info.func ~= nil then found[#found + 1] = where .. "co" .. level end
          end
        end
        scan("main")
        coroutine.wrap(function() scan("coroutine") end)()
        pcall(smelt.probe.value, setmetatable({}, {__tostring = function() scan("tostring") end}))
        smelt.events = nil
        local f = smelt.probe.value
        if debug.getinfo(f, "f").func ~= nil then found[#found + 1] = "function" end
        local co = coroutine.create(function() coroutine.yield() end)
        coroutine.resume(co)
        if debug.getinfo(co, 1, "f").func ~= nil then found[#found + 1] = "suspended" end
        return #found, table.concat(found, " ")
    """)
    assert result.values[0] == 0, result.values[1]


def test_getinfo_keeps_levels_and_fields_scripts_use(box):
    src, line, nups = run(box, "\nreturn debug.getinfo(1, 'S').short_src, debug.getinfo(1, 'l').currentline, "
                               "debug.getinfo(smelt.probe.value, 'u').nups").values
    assert (src, line) == ("t.lua", 2) and nups >= 1
    caller = run(box, "local function f() return debug.getinfo(2, 'l').currentline end\n\nlocal v = f() return v").value
    assert caller == 3
    trace = run(box, "local ok, tb = xpcall(function() error('boom') end, debug.traceback) return tb").value
    assert trace.startswith("t.lua:1: boom\nstack traceback:") and "in function 'error'" in trace


# -- string.dump, C loaders, bytecode, the Python bridge ----------------------------------------

@pytest.mark.parametrize("expr", [
    "string.dump", "getmetatable('').__index.dump", "('').dump", "package.loaded.string.dump",
    "require('string').dump", "package.loadlib", "python", "package.loaded.python",
    "package.preload.python",
])
def test_removed_functions_stay_removed(box, expr):
    assert run(box, f"return {expr} == nil").value is True


def test_no_c_loader_left(box, tmp_path):
    (tmp_path / "mod.so").write_bytes(b"\x7fELF not really")
    result = run(box, f"""
        package.cpath = "{tmp_path}/?.so"
        local ok, err = pcall(require, "mod")
        return ok, err, #package.searchers
    """)
    ok, err, searchers = result.values
    assert ok is False and "not found" in err and "error loading" not in err
    assert searchers == 2


@pytest.mark.parametrize("code", [
    "return load(string.char(27) .. 'LuaT', 'x', 'b')",
    "return load(string.char(27) .. 'LuaT', 'x', 'bt', {})",
    "local done; return load(function() if not done then done = true return string.char(27) .. 'Lua' end end)",
    "return loadfile(BIN, 'b')",
    "return loadfile(BIN, 'bt', {})",
    "return pcall(dofile, BIN)",
    "package.path = DIR .. '/?.luac'; return pcall(require, 'chunk')",
])
def test_load_refuses_bytecode_in_every_form(box, tmp_path, code):
    (tmp_path / "chunk.luac").write_bytes(b"\x1bLuaT\x00\x19\x93\r\n\x1a\n")
    prefix = f"local BIN, DIR = '{tmp_path}/chunk.luac', '{tmp_path}'\n"
    first, err = run(box, prefix + code).values[:2]
    assert not first and "attempt to load a binary chunk" in err


# -- the hook cannot be removed or outrun ------------------------------------------------------

TAMPERING = [
    "pcall(require('debug').sethook); pcall(package.loaded.debug.sethook)\nwhile true do end",
    "error = function() while true do end end\nwhile true do end",
    "for _, n in ipairs({'pcall', 'error', 'type', 'tostring', 'getmetatable', 'select', 'rawget'}) do\n"
    "  _G[n] = function() while true do end end\nend\nwhile true do end",
    "getmetatable('').__index = setmetatable({}, {__index = function() while true do end end})\n"
    "while true do end",
    "local ok, e = xpcall(function() while true do end end, function() while true do end end)",
    "local ok, e = xpcall(function() while true do end end, debug.traceback)\nwhile true do end",
    "pcall(setmetatable, {}, {__gc = function() while true do end end})\ncollectgarbage()\nwhile true do end",
    "pcall(function() getmetatable(io.stdout).__gc = function() while true do end end end)\n"
    "io.open('/dev/null'):close() collectgarbage()\nwhile true do end",
    "local x <close> = setmetatable({}, {__close = function() while true do end end})\nwhile true do end",
    "local co = coroutine.create(function() pcall(debug.sethook) while true do end end)\n"
    "local ok, err = coroutine.resume(co)\nerror(err, 0)",
    "coroutine.wrap(function()\n"
    "  xpcall(function() while true do end end, function() while true do end end)\nend)()",
]


@pytest.mark.parametrize("code", TAMPERING)
def test_budget_still_stops_runaway_code_after_tampering(box, code):
    result, elapsed = run_bounded(box, code)
    assert not result.ok and "instruction budget exceeded" in result.error, result
    assert elapsed < 5
    assert box.run("return 1", "=x").ok


@pytest.mark.parametrize("code", TAMPERING)
def test_interrupt_still_stops_runaway_code_after_tampering(code):
    box = LuaRuntimeBox(budget=lambda: 0)  # no budget: only the interrupt can stop it
    result, elapsed = run_bounded(box, code, interrupt_after=0.1)
    assert not result.ok and result.error.endswith("interrupted"), result
    assert elapsed < 5
    assert box.run("return 1", "=x").ok


def test_xpcall_handlers_still_see_the_error(box):
    ok, msg = run(box, "return xpcall(function() error('boom') end, function(e) return 'handled: ' .. e end)").values
    assert (ok, msg) == (False, "handled: t.lua:1: boom")
    assert run(box, "return select('#', xpcall(function(...) return ... end, print, 1, 2))").value == 3
    failed = box.run("xpcall(print, 42)", "@t.lua")
    assert not failed.ok and "bad argument #2 to 'xpcall'" in failed.error


def test_gc_metamethods_are_refused_and_file_metatable_hidden(box):
    ok, err = run(box, "return pcall(setmetatable, {}, {__gc = function() end})").values
    assert ok is False and "__gc" in err
    assert run(box, "return type(getmetatable(io.stdout)), io.stdout:seek('cur') ~= false").values[0] == "string"
    assert run(box, "local t = setmetatable({}, {__index = {a = 1}}) return t.a").value == 1


# -- no Python object is reachable -------------------------------------------------------------

SCAN = """
local seen, found, queue = {}, {}, {}
local function visit(v, path)
  local t = type(v)
  if t == "userdata" and not io.type(v) then found[#found + 1] = path end
  if (t == "table" or t == "function" or t == "thread" or t == "userdata") and not seen[v] then
    seen[v] = true
    queue[#queue + 1] = {v, path}
  end
end
visit(_G, "_G"); visit(package.loaded, "package.loaded"); visit(getmetatable(""), "string<mt>")
visit(getmetatable(0), "number<mt>"); visit(coroutine.running(), "thread")
for level = 0, 60 do visit(debug.getinfo(level), "level" .. level) end
-- Were any of these to come back, walk what they reach too (the reported leak).
local d = require("debug")
if d.getregistry then visit(d.getregistry(), "registry") end
for _, name in ipairs(CALLS) do
  local ns, fn = name:match("^(%w+)%.(%w+)$")
  local f = ns and smelt[ns][fn] or smelt[name]
  local res = table.pack(pcall(f))
  for i = 1, res.n do visit(res[i], name .. "()#" .. i) end
end
local i = 1
while queue[i] do
  local v, path = queue[i][1], queue[i][2]
  i = i + 1
  visit(getmetatable(v), path .. "<mt>")
  if type(v) == "table" then
    for k, x in next, v do visit(k, path .. "<key>"); visit(x, path .. "." .. tostring(k)) end
  elseif type(v) == "function" then
    visit(debug.getinfo(v), path .. "<info>")
    for up = 1, d.getupvalue and 255 or 0 do
      local name, x = d.getupvalue(v, up)
      if name == nil then break end
      visit(x, path .. "^" .. name)
    end
  end
end
return #found, table.concat(found, " "), i
"""

READ_ONLY_CALLS = ["session.id", "session.dir", "session.cwd", "session.created_at_ms",
                   "session.context_tokens", "session.context_window", "session.cost",
                   "session.tokens", "session.turns", "session.system", "session.list",
                   "cmd.list", "settings.keys", "settings.get"]


def test_nothing_reachable_from_lua_is_a_python_object(host):  # noqa: F811
    calls = "{" + ", ".join(f"'{c}'" for c in READ_ONLY_CALLS) + "}"
    result = host.runtime.run("local CALLS = " + calls + "\n" + SCAN, "@scan.lua")
    assert result.ok, result.error
    count, paths, visited = result.values
    assert count == 0, paths
    assert visited > 100  # the scan really walked the globals


def test_nothing_reachable_inside_a_nested_entry(host):  # noqa: F811
    """An event handler runs inside Python code Lua called: its stack holds lupa's frames."""
    calls = "{" + ", ".join(f"'{c}'" for c in READ_ONLY_CALLS) + "}"
    lua_src = ("RESULT = nil\nsmelt.events.on('probe', function() local CALLS = " + calls + "\n"
               "RESULT = {(function() " + SCAN + " end)()} end)\nsmelt.events.emit('probe', {})\n"
               "return RESULT[1], RESULT[2]")
    result = host.runtime.run(lua_src, "@scan.lua")
    assert result.ok, result.error
    assert result.values[0] == 0, result.values[1]


@pytest.mark.parametrize("hijack", ["pcall", "error", "getmetatable", "tostring", "type", "select", "rawget"])
def test_replaced_globals_never_receive_python_objects(box, hijack):
    result = run(box, f"""
        local original, sel, typ, pack, seen = {hijack}, select, type, table.pack, {{}}
        {hijack} = function(...)
          local args = pack(...)
          for i = 1, args.n do seen[#seen + 1] = args[i] end
          return original(...)
        end
        pcall(smelt.probe.value); pcall(smelt.probe.fail); pcall(smelt.probe.value, {{}})
        pcall(error, setmetatable({{}}, {{__tostring = function() return "x" end}}))
        {hijack} = original
        for _, v in ipairs(seen) do
          if typ(v) == "userdata" then return "leaked: " .. tostring(v) end
        end
        return "clean"
    """)
    assert result.value == "clean"


def test_binding_errors_reach_scripts_as_text(box):
    ok, err = run(box, "return pcall(smelt.probe.fail)").values
    assert (ok, err) == (False, "refused")


def test_python_object_returned_by_a_binding_is_refused():
    box = LuaRuntimeBox()
    box.install_api({
        "x.obj": guard("x.obj", lambda: object(), Tier.HOST, lambda: True, lambda: None),
        "x.pair": guard("x.pair", lambda: (1, 2), Tier.HOST, lambda: True, lambda: None),
    })
    for name in ("obj", "pair"):
        ok, err = box.run(f"return pcall(smelt.x.{name})", "=t").values
        assert ok is False and "cannot hold" in err


def test_python_arguments_are_converted_on_the_way_in():
    box = LuaRuntimeBox()
    fn = box.run("return function(...) local t = {} for i = 1, select('#', ...) do "
                 "t[i] = type((select(i, ...))) end return table.concat(t, ',') end", "=t").value
    assert box.call(fn, object(), {"a": 1}, [1], "s", 2, None).value == "string,table,table,string,number,nil"


def test_hook_errors_from_python_reach_scripts_as_text():
    class Flaky(LuaRuntimeBox):
        raised = False

        def _tick(self):
            if self._depth and not Flaky.raised:
                Flaky.raised = True
                raise RuntimeError("tick failed")
            return super()._tick()

    box = Flaky(budget=lambda: 0)
    kind, err = box.run("local ok, e = pcall(function() for i = 1, 1e6 do end end) return type(e), e", "=t").values
    assert kind == "string" and "tick failed" in err
