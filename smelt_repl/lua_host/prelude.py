"""The Lua side of the host: sandbox set-up, the guarded call path and the ``smelt`` table.

Kept as Lua source so the sandbox is readable in one place. ``SANDBOX_LUA`` runs first and
returns ``install(tick, count)`` giving back ``invoke`` (xpcall with one-line error text)
and ``compile`` (text-only load); ``API_LUA`` then turns a flat table of guarded Python
callables (``"session.id" -> fn``) into the nested ``smelt`` table, wrapping every one in a
Lua closure so no Python object is ever handed to scripts.
"""

from __future__ import annotations

# Chunk name of the host's own Lua code; error locations skip frames from it.
PRELUDE_CHUNK = "=[smelt]"

SANDBOX_LUA = r"""
local tick, count = ...
local sethook, gethook, getinfo = debug.sethook, debug.gethook, debug.getinfo
local PRELUDE = "=[smelt]"

-- Interrupt and budget: every `count` instructions ask Python whether to stop. On a stop
-- the hook fires on every instruction so a `pcall` loop cannot swallow it for long.
local function hook()
  local msg = tick()
  if msg then
    sethook(hook, "", 1)
    error(msg, 2)
  end
  local _, _, c = gethook()
  if c == 1 then sethook(hook, "", count) end
end
sethook(hook, "", count)

-- A hook on the main thread does not cover coroutines: give each new one the hook too.
local cocreate, coresume, coclose = coroutine.create, coroutine.resume, coroutine.close
coroutine.create = function(f)
  local co = cocreate(f)
  sethook(co, hook, "", count)
  return co
end
coroutine.wrap = function(f)
  local co = coroutine.create(f)
  return function(...)
    local res = table.pack(coresume(co, ...))
    if res[1] then return table.unpack(res, 2, res.n) end
    coclose(co)
    error(res[2], 0)
  end
end

-- Sandbox: no Python bridge, no bytecode in or out, a debug table without the parts that
-- reach upvalues, locals, the registry or the hook.
python = nil
package.loaded.python = nil
string.dump = nil
local rawload, rawloadfile = load, loadfile
load = function(chunk, name, mode, ...)
  if select("#", ...) > 0 then return rawload(chunk, name, "t", ...) end
  return rawload(chunk, name, "t")
end
loadfile = function(path, mode, ...)
  if select("#", ...) > 0 then return rawloadfile(path, "t", ...) end
  return rawloadfile(path, "t")
end
dofile = function(path)
  local f, err = loadfile(path)
  if not f then error(err, 2) end
  return f()
end
package.loadlib = nil
package.searchers = {
  package.searchers[1],
  function(name)
    local path, err = package.searchpath(name, package.path)
    if not path then return "\n\t" .. err end
    local f, lerr = loadfile(path)
    if not f then
      error(string.format("error loading module '%s' from file '%s':\n\t%s", name, path, lerr), 0)
    end
    return f, path
  end,
}
debug = { traceback = debug.traceback, getinfo = getinfo }

local function describe(e)
  if type(e) == "string" then return e end
  if type(e) == "number" then return tostring(e) end
  local mt = getmetatable(e)
  if type(mt) == "table" and mt.__tostring then return tostring(e) end
  return "(error object is a " .. type(e) .. " value)"
end

-- Message handler: the error text, prefixed with the first script frame's `file:line`
-- when the error carries no location (host errors are raised without one).
local function handler(e)
  local msg = describe(e)
  if msg:match("^[^\n]-:%d+: ") then return msg end
  for level = 2, 60 do
    local info = getinfo(level, "Sl")
    if not info then break end
    if info.currentline and info.currentline > 0 and info.source ~= PRELUDE then
      return info.short_src .. ":" .. info.currentline .. ": " .. msg
    end
  end
  return msg
end

local function invoke(fn, ...)
  return xpcall(fn, handler, ...)
end

local function compile(src, name)
  local f, err = rawload(src, name, "t")
  return f, err
end

return invoke, compile, describe
"""

API_LUA = r"""
local b, describe = ...

local function utf8_clean(s)
  if utf8.len(s) then return s end
  local out, i = {}, 1
  while i <= #s do
    local ok, bad = utf8.len(s, i)
    if ok then out[#out + 1] = s:sub(i); break end
    out[#out + 1] = s:sub(i, bad - 1)
    out[#out + 1] = "\u{FFFD}"
    i = bad + 1
  end
  return table.concat(out)
end

-- A guarded binding returns (err, value): err is a person-readable message raised here
-- without a location (level 0) so pcall sees it exactly.
local function bind(f)
  return function(...)
    local ok, err, value = pcall(f, ...)
    if not ok then error(describe(err), 0) end
    if err ~= nil then error(err, 0) end
    return value
  end
end

local smelt = {}
for path, f in pairs(b) do
  local ns, name = path:match("^([%w_]+)%.([%w_]+)$")
  if ns then
    smelt[ns] = smelt[ns] or {}
    smelt[ns][name] = bind(f)
  else
    smelt[path] = bind(f)
  end
end

if smelt.notify then
  local raw_notify = smelt.notify
  smelt.notify = function(msg, opts)
    return raw_notify(utf8_clean(tostring(msg)), opts)
  end
  print = function(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    raw_notify(utf8_clean(table.concat(parts, "\t")))
  end
end

if smelt.events then
  local events_on, events_off = smelt.events.on, smelt.events.off
  smelt.events.off = nil
  smelt.events.on = function(name, fn)
    local handle = events_on(name, fn)
    return function() events_off(handle) end
  end
end

if smelt.cmd then
  local cmd_resolve = smelt.cmd.run  -- the Python half finds the handler; it runs here
  smelt.cmd.run = function(line)
    local resolved = cmd_resolve(line)
    if resolved then return resolved.handler(resolved.args) end
  end
end

if smelt.settings then
  local settings = smelt.settings
  smelt.settings = setmetatable({}, {
    __index = function(_, key) return settings.get(key) end,
    __newindex = function(_, key, value) settings.set(key, value) end,
    __pairs = function()
      local keys, i = settings.keys(), 0
      return function()
        i = i + 1
        local key = keys[i]
        if key ~= nil then return key, settings.get(key) end
      end
    end,
    __metatable = "smelt.settings",
  })
end

return smelt
"""
