"""The Lua half of the ``smelt`` table's shapes (after ``prelude.API_LUA`` has placed the
bound functions): Regs, ``print``, ``notify``, tasks and dialogs, the ``settings`` proxy and
smelt's namespaces that smelt-repl does not have (docs/smelt-compat.md).

Runs once at start-up, before any script, and uses only what it captures then.
"""

from __future__ import annotations

# smelt namespaces of configuration calls: a call warns once and does nothing.
CONFIG_ONLY = ("mcp", "permissions", "skills", "theme", "statusline", "trust", "lsp", "auth",
               "spinner", "reasoning", "defaults")
# smelt namespaces whose calls must return something: using one raises a clear line.
MISSING = ("buf", "win", "tools", "fs", "process", "http", "http_cache", "json", "fuzzy", "text",
           "timer", "transcript", "overlay", "prompt", "picker", "path", "shell", "grep", "image",
           "os", "clock", "time", "state", "history", "layout", "engine", "agent", "cell",
           "frontend", "diff", "html", "markdown", "notebook", "render", "search", "syntax",
           "terminal", "vim", "mode", "input", "log", "metrics", "signal", "task", "tick",
           "files", "bash", "au", "confirm", "inspect", "list", "messages", "parse", "paint",
           "perf", "remember", "builtins", "cli", "build", "config", "lifecycle")

COMPAT_LUA = r"""
local smelt, describe, config_only, missing, locate = ...
local type, tostring, select, error, pairs, ipairs = type, tostring, select, error, pairs, ipairs
local setmetatable, getmetatable, utf8_len, str_sub = setmetatable, getmetatable, utf8.len, string.sub
local concat = table.concat
local cocreate, coresume, coyield, corunning, costatus =
  coroutine.create, coroutine.resume, coroutine.yield, coroutine.running, coroutine.status

local function clean(s)
  s = tostring(s)
  if utf8_len(s) then return s end
  local out, i = {}, 1
  while i <= #s do
    local ok, bad = utf8_len(s, i)
    if ok then out[#out + 1] = str_sub(s, i); break end
    out[#out + 1] = str_sub(s, i, bad - 1)
    out[#out + 1] = "\u{FFFD}"
    i = bad + 1
  end
  return concat(out)
end

-- A Reg: reg:remove() undoes a registration; callable too, for events.on's off().
local function reg(remove)
  local done = false
  local function undo() if not done then done = true; remove() end end
  return setmetatable({ remove = function() undo() end },
                      { __call = function() undo() end, __metatable = "smelt.Reg" })
end

-- Each part only when its functions are there (tests install part of the API).
-- Output: print, notify (a callable table), notify_error.
if smelt.print then
  local raw_print = smelt.print
  smelt.print = nil
  print = function(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    raw_print(clean(concat(parts, "\t")))
  end
end
if smelt.notify_error then
  local n = smelt.notify
  local raw_notify = getmetatable(n).__call
  local info, warn, err = n.info, n.warn, n.error
  local raw_error = smelt.notify_error
  n.info = function(msg) return info(clean(msg)) end
  n.warn = function(msg) return warn(clean(msg)) end
  n.error = function(msg) return err(clean(msg)) end
  setmetatable(n, { __call = function(_, msg, opts) return raw_notify(nil, clean(msg), opts) end })
  smelt.notify_error = function(msg) return raw_error(clean(msg)) end
end

-- Registrations return Regs.
if smelt.events then
  local events_on, events_off = smelt.events.on, smelt.events.off
  smelt.events.off = nil
  smelt.events.on = function(name, fn)
    local handle = events_on(name, fn)
    return reg(function() events_off(handle) end)
  end
end
if smelt.cmd then
  local cmd_register, cmd_remove, cmd_resolve = smelt.cmd.register, smelt.cmd.remove, smelt.cmd.run
  smelt.cmd.remove = nil
  smelt.cmd.register = function(name, fn, opts)
    local r = cmd_register(name, fn, opts)
    return reg(function() cmd_remove(r[1], r[2]) end)
  end
  smelt.cmd.run = function(line)  -- the Python half finds the handler; it runs here
    local resolved = cmd_resolve(line)
    if resolved then return resolved.handler(resolved.args) end
  end
end
if smelt.keymap then
  local keymap_set, keymap_remove = smelt.keymap.set, smelt.keymap.remove
  smelt.keymap.remove = nil
  smelt.keymap.set = function(mode, keys, fn, opts)
    keymap_set(mode, keys, fn, opts)
    return reg(function() keymap_remove(mode, keys) end)
  end
end
if smelt.provider then
  local provider_register, provider_remove = smelt.provider.register, smelt.provider.remove
  smelt.provider.remove = nil
  smelt.provider.register = function(name, spec)
    local token = provider_register(name, spec)
    return reg(function() provider_remove(name, token) end)
  end
end

-- Tasks: coroutines the host resumes when what they wait for is there.
local tasks, task_of = {}, setmetatable({}, { __mode = "k" })
local raw_spawn, raw_sleep, raw_dialog, task_failed = smelt.spawn, smelt.sleep
if smelt.task then task_failed, smelt.task = smelt.task.failed, nil end
if smelt.ui then raw_dialog = smelt.ui.dialog.open end


local function step(id, co, ...)
  local ok, err = coresume(co, ...)
  if not ok then
    tasks[id] = nil
    task_failed(locate(describe(err), co, 0))  -- located in the task's first script frame
  elseif costatus(co) == "dead" then
    tasks[id] = nil
  end
end

local function resume(id, value)
  local co = tasks[id]
  if co and costatus(co) == "suspended" then step(id, co, value) end
end

local function current_task(what)
  local id = task_of[corunning()]
  if not id then error(what .. ": call from inside smelt.spawn(fn)", 3) end
  return id
end

if raw_spawn then smelt.spawn = function(fn)
  if type(fn) ~= "function" then error("smelt.spawn: fn must be a function, got " .. type(fn), 2) end
  local id = raw_spawn()
  local co = cocreate(fn)
  tasks[id], task_of[co] = co, id
  step(id, co)
end end
if raw_sleep then smelt.sleep = function(ms)
  raw_sleep(current_task("smelt.sleep"), ms)
  return coyield()
end end
if raw_dialog then smelt.ui.dialog.open = function(spec)
  raw_dialog(task_of[corunning()], spec)  -- the host says when it is not in a task
  return coyield()
end end

-- smelt.settings: a table whose fields are the settings.
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

-- smelt's namespaces we do not have.
local warn, warned = smelt.notify and smelt.notify.warn or print, {}
for _, ns in ipairs(config_only) do
  smelt[ns] = setmetatable({}, { __metatable = "smelt." .. ns, __index = function(_, name)
    local what = "smelt." .. ns .. "." .. tostring(name)
    return function()
      if not warned[what] then
        warned[what] = true
        warn(what .. " is not supported by smelt-repl: ignored")
      end
    end
  end })
end
local function absent(prefix, t)
  return setmetatable(t or {}, { __metatable = prefix, __index = function(_, name)
    error(prefix .. "." .. tostring(name) .. " is not supported by smelt-repl (docs/smelt-compat.md)", 2)
  end })
end
for _, ns in ipairs(missing) do
  if smelt[ns] == nil then smelt[ns] = absent("smelt." .. ns) end
end
absent("smelt.ui", smelt.ui or {})

return resume
"""
