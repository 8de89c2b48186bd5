"""The Lua side of the host: sandbox set-up, the guarded call path and the ``smelt`` table.

Kept as Lua source so the sandbox is readable in one place. ``SANDBOX_LUA`` runs first (with
``tick, count``) and returns ``invoke`` (xpcall with one-line error text), ``compile``
(text-only load), ``describe`` and ``hook`` (the guards of long C calls run it too);
``API_LUA`` then turns a flat table of guarded Python callables (``"session.id" -> fn``)
into the nested ``smelt`` table, wrapping every one in a Lua closure so no Python object is
ever handed to scripts; ``lua.compat`` then gives it smelt's shapes.

Invariants the sandbox keeps (tests/test_lua_sandbox.py):

* No script-visible function reads upvalues, locals or the registry: ``debug`` (global,
  ``package.loaded.debug``, ``require("debug")``) is one reduced table, ``traceback`` and a
  ``getinfo`` without ``func``; ``string.dump``, ``package.loadlib`` and C loaders are gone.
* The instruction hook cannot be removed, and no script code ever runs with hooks off (Lua
  turns them off inside a hook, in message handlers reached from it, and in ``__gc``): the
  host's Lua uses only functions captured at start-up, script ``xpcall`` handlers run after
  unwinding, ``__gc`` is refused and io's file metatable is hidden.
* C functions that can run long (``string.rep``, the pattern functions, ``format``,
  ``table.concat``) check their arguments first and count their work toward the hook
  (``smelt_repl.lua.limits``); the host's Lua calls what it captured at set-up, never a
  script's replacement.
"""

from __future__ import annotations

# Chunk name of the host's own Lua code; error locations skip frames from it.
PRELUDE_CHUNK = "=[smelt]"

SANDBOX_LUA = r"""
local tick, count = ...
local PRELUDE, STRIPPED = "=[smelt]", "=?"  -- the host's chunks (the guards are stripped)

-- Everything the host's own Lua uses is captured here, once: a script that replaces a global
-- (`pcall`, `error`, `getmetatable`, ...) or the string metatable's `__index` must never run
-- inside the hook, a message handler or a binding, where it could stall with hooks off or
-- be handed a Python object.
local type, tostring, select, error, pcall, rawxpcall = type, tostring, select, error, pcall, xpcall
local rawget, rawgetmetatable, rawsetmetatable = rawget, getmetatable, setmetatable
local rawload, rawloadfile = load, loadfile
local str_find, str_format = string.find, string.format
local cocreate, coresume, coclose, corunning = coroutine.create, coroutine.resume, coroutine.close, coroutine.running
local fulldebug = debug
local sethook, gethook, getinfo, traceback = debug.sethook, debug.gethook, debug.getinfo, debug.traceback
local package, searchpath, preload_searcher = package, package.searchpath, package.searchers[1]
local loaded = package.loaded

local function describe(e)
  local t = type(e)
  if t == "string" then return e end
  if t == "number" then return tostring(e) end
  local mt = rawgetmetatable(e)
  if type(mt) == "table" and rawget(mt, "__tostring") then return tostring(e) end
  return "(error object is a " .. t .. " value)"
end

-- Interrupt and budget: every `count` instructions ask Python whether to stop. On a stop
-- the hook fires on every instruction so a `pcall` loop cannot swallow it for long. Lua
-- runs hooks with hooks off: nothing here may call script code.
local function hook()
  local ok, msg = pcall(tick)
  if not ok then msg = describe(msg) end  -- never let a Python error object reach a script
  if msg then
    sethook(hook, "", 1)
    local level = 2  -- locate the error in the first script frame, not in the host's Lua
    local info = getinfo(level, "S")
    while info and (info.source == PRELUDE or info.source == STRIPPED) do
      level = level + 1
      info = getinfo(level, "S")
    end
    error(msg, info and level or 2)
  end
  local _, _, c = gethook()
  if c == 1 then sethook(hook, "", count) end
end
sethook(hook, "", count)

-- A hook on the main thread does not cover coroutines: give each new one the hook too.
local function create(f)
  local co = cocreate(f)
  sethook(co, hook, "", count)
  return co
end
local function wrap_result(co, ok, ...)
  if ok then return ... end
  coclose(co)
  error((...), 0)
end
coroutine.create = create
coroutine.wrap = function(f)
  local co = create(f)
  return function(...) return wrap_result(co, coresume(co, ...)) end
end

-- xpcall: Lua calls a message handler where the error was raised, so an error the hook
-- raises (budget, interrupt) would run the script's handler with hooks off, beyond reach of
-- the budget and Ctrl-C. Script handlers therefore run once the stack has unwound; only
-- debug.traceback, which runs no script code, still runs where the error was raised.
local function xpcall_finish(h, ok, ...)
  if ok then return ok, ... end
  local _, handled = pcall(h, (...))
  return false, handled
end
xpcall = function(f, h, ...)
  if type(h) ~= "function" then
    error("bad argument #2 to 'xpcall' (function expected, got " .. type(h) .. ")", 2)
  end
  if h == traceback then return rawxpcall(f, traceback, ...) end
  return xpcall_finish(h, pcall(f, ...))
end

-- __gc finalizers also run with hooks off: scripts get none (tables), and the metatable of
-- io's file handles (which have one) is out of their reach.
setmetatable = function(t, mt)
  if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
    error("__gc metamethods are not available to scripts", 2)
  end
  return (rawsetmetatable(t, mt))
end
do
  local file_mt = rawgetmetatable(io.stdout)
  if type(file_mt) == "table" then file_mt.__metatable = "FILE*" end
end

-- Sandbox: no Python bridge, no bytecode in or out, no C loaders, and a debug library
-- reduced to traceback and a getinfo that never hands out functions; `require("debug")`
-- gives the same reduced table.
python = nil
loaded.python = nil
package.preload.python = nil
string.dump = nil
load = function(chunk, name, mode, ...)
  if select("#", ...) > 0 then return rawload(chunk, name, "t", ...) end
  return rawload(chunk, name, "t")
end
local function safe_loadfile(path, mode, ...)
  if select("#", ...) > 0 then return rawloadfile(path, "t", ...) end
  return rawloadfile(path, "t")
end
loadfile = safe_loadfile
dofile = function(path)
  local f, err = safe_loadfile(path)
  if not f then error(err, 2) end
  return f()
end
package.loadlib = nil
package.cpath = ""
package.searchers = {
  preload_searcher,
  function(name)
    local path, err = searchpath(name, package.path)
    if not path then return "\n\t" .. err end
    local f, lerr = safe_loadfile(path)
    if not f then
      error(str_format("error loading module '%s' from file '%s':\n\t%s", name, path, lerr), 0)
    end
    return f, path
  end,
}

local function safe_getinfo(...)
  local n = select("#", ...)
  local a, b, c = ...
  local info
  if type(a) == "thread" then
    if type(b) == "number" and b >= 0 and a == corunning() then b = b + 1 end
    if n >= 3 then info = getinfo(a, b, c) else info = getinfo(a, b) end
  else
    if type(a) == "number" and a >= 0 then a = a + 1 end  -- skip this wrapper's frame
    if n >= 2 then info = getinfo(a, b) else info = getinfo(a) end
  end
  if info then info.func = nil end
  return info
end
debug = { traceback = traceback, getinfo = safe_getinfo }
loaded.debug = debug
for name in pairs(fulldebug) do fulldebug[name] = nil end  -- any stray reference gets nothing
fulldebug = nil

-- `msg` prefixed with the first script frame's `file:line` when it carries no location
-- (host errors are raised without one). The frames are those of coroutine `co`, or, when
-- `co` is nil, of the caller of `locate`, from its frame `first` on.
local function locate(msg, co, first)
  if str_find(msg, "^[^\n]-:%d+: ") then return msg end
  for level = first, 60 do
    local info
    if co then info = getinfo(co, level, "Sl") else info = getinfo(level + 1, "Sl") end
    if not info then break end
    if info.currentline and info.currentline > 0 and info.source ~= PRELUDE then
      return info.short_src .. ":" .. info.currentline .. ": " .. msg
    end
  end
  return msg
end

-- Message handler: the error text, located in its first script frame.
local function handler(e)
  return locate(describe(e), nil, 2)
end

local function invoke(fn, ...)
  return rawxpcall(fn, handler, ...)
end

local function compile(src, name)
  local f, err = rawload(src, name, "t")
  return f, err
end

return invoke, compile, describe, hook, locate
"""

API_LUA = r"""
local b, describe = ...

-- As in the sandbox chunk: only captured functions at run time, so a script that replaces
-- a global (`pcall`, `error`, ...) never gets to see the Python callables below.
local type, error, pcall, pairs, setmetatable = type, error, pcall, pairs, setmetatable
local str_match = string.match

-- A guarded binding returns (err, value): err is a person-readable message raised here
-- without a location (level 0) so pcall sees it exactly. The Python callable `f` lives only
-- in this closure's upvalue, and no script-visible function reads upvalues.
local function bind(f)
  return function(...)
    local ok, err, value = pcall(f, ...)
    if not ok then error(describe(err), 0) end
    if err ~= nil then error(err, 0) end
    if type(value) == "userdata" then error("host returned a value Lua cannot hold", 0) end
    return value
  end
end

-- "ui.dialog.open" goes to smelt.ui.dialog.open; a name that is also a namespace
-- ("notify" and "notify.warn") makes that table callable.
local smelt = {}
local function table_at(path)
  local node, rest = smelt, path
  while rest ~= "" do
    local head, tail = str_match(rest, "^([^.]+)%.?(.*)$")
    if type(node[head]) ~= "table" then node[head] = {} end
    node, rest = node[head], tail
  end
  return node
end
for path in pairs(b) do
  local ns = str_match(path, "^(.+)%.[^.]+$")
  if ns then table_at(ns) end
end
for path, f in pairs(b) do
  local ns, name = str_match(path, "^(.+)%.([^.]+)$")
  local node = ns and table_at(ns) or smelt
  name = name or path
  local fn = bind(f)
  if type(node[name]) == "table" then
    setmetatable(node[name], { __call = function(_, ...) return fn(...) end })
  else
    node[name] = fn
  end
end

return smelt
"""
