"""Guards on the C functions of Lua's standard library that can run long (Lua source).

The instruction hook (budget, Ctrl-C) never fires inside a C function, so a single call such
as ``string.rep("", 1e15)`` or a backtracking ``string.find`` would freeze the REPL. At
sandbox set-up ``install_limits`` replaces ``string.rep/find/match/gmatch/gsub/format`` (the
string metatable's ``__index`` is the same table, so ``("x"):rep(n)`` is covered) and
``table.concat`` / ``table.sort`` with Lua wrappers that check the call first and raise a Lua error naming
the function and the limit; the originals live only in the wrappers' upvalues, so a script
can replace its own ``string.rep`` but never get an unguarded one back.

Limits, chosen so one allowed call runs for at most about a third of a second here (Ctrl-C
waits for it) while real scripts stay far below them:

* ``MAX_STEPS``: the bound on a pattern match's work (``smelt_repl.lua.pattern_cost``);
  steps take 5-10 ns, so a linear pattern still accepts subjects of several MiB.
* ``MAX_REPS``: ``string.rep`` repetitions, even of ``""`` (each ~7 ns), checked first.
* ``MAX_ITEMS``: ``table.concat`` items of a table with a metatable, checked first (a
  missing item may call a C ``__index``, ~150 ns each). Without one, concat stops at the
  first missing item, so it reads at most what the memory cap let the table hold.
* ``MAX_SORT``: ``table.sort`` items when no comparator is given (then every comparison is
  made in C; a 2^18-item sort of strings takes ~0.4 s here). With a comparator each
  comparison calls it, so the hook runs; none of the standard C functions is a valid order.
* ``MAX_BYTES``: results of ``string.rep``, ``string.format`` and ``table.concat``, 64 MiB.
  ``format`` and ``concat`` take time in proportion to what they write, which the Lua
  memory cap (256 MiB) bounds, so their result is checked after the call: inspecting every
  argument first would double the cost of a short ``format``.

Work done inside these C calls also counts as instructions do: every ``POLL_EVERY`` steps
of it (worst-case bounds, summed over calls) the wrappers run the sandbox's hook, so Ctrl-C
stops a loop of long calls between two of them, and each such run is one budget tick.

The wrappers are loaded stripped of debug information, so an argument error of the original
function points at the script's line (the message handler adds it), not at the host's code.
"""

from __future__ import annotations

from typing import Any

from smelt_repl.lua.pattern_cost import PATTERN_COST_LUA
from smelt_repl.lua.pattern_items import PATTERN_ITEMS_LUA

MAX_BYTES = 64 * 1024 * 1024
MAX_REPS = 2**25
MAX_ITEMS = 2**21
MAX_SORT = 2**18
MAX_STEPS = 2**25
CHEAP_STEPS = 2**15  # a call this cheap passes untested (<= ~0.3 ms): the hook comes soon enough
POLL_EVERY = 2**20  # steps of C work (up to ~10 ms) between two runs of the hook: one budget tick
MAX_CACHED_ENTRIES = 1024

# Run before the sandbox removes string.dump: compiles host Lua into functions without
# debug information (no line numbers, no names).
STRIP_LUA = """
local dump, load = string.dump, load
return function(src) return load(dump(load(src, "=?", "t"), true), "=?", "b") end
"""

LIMITS_LUA = r"""
local check, worst_case, cheap, size, poll, MAX_BYTES, MAX_REPS, MAX_ITEMS, MAX_STEPS, POLL_EVERY, MAX_SORT = ...
local type, tostring, tonumber, error, getmetatable, floor =
  type, tostring, tonumber, error, getmetatable, math.floor
-- The originals, called as fields so argument errors still name them ('rep', 'find').
local raw = {rep = string.rep, find = string.find, match = string.match, gmatch = string.gmatch,
             gsub = string.gsub, format = string.format, concat = table.concat, sort = table.sort}
local format, gsub = raw.format, raw.gsub
local FEW_REPS, SMALL_RESULT = 1024, 4096
-- Fast paths test as little as they can: under the hook every Lua instruction costs.

-- Work done inside C counts as instructions do: every POLL_EVERY steps the hook runs
-- (Ctrl-C, budget), so a loop of long calls stops as soon as a loop of instructions would.
local work = 0
local function charge(steps)
  work = work + steps
  if work >= POLL_EVERY then
    work = 0
    poll()
  end
end

local function count(x)  -- 123, 1e15
  if x < 1e9 and x == floor(x) then return format("%d", x) end
  return (gsub(format("%.3g", x), "e%+?0*", "e"))
end

local function too_big(name, bytes)
  return format("%s: result of %s bytes is over the limit of %s", name, count(bytes), size(MAX_BYTES))
end

-- A result over SMALL_RESULT, checked after the call (its making is bounded by the memory cap).
local function check_result(name, result)
  local len = #result
  if len > MAX_BYTES then error(too_big(name, len), 3) end
  charge(len / 4)
end

local function text_len(v)
  local t = type(v)
  if t == "string" then return #v end
  if t == "number" then return #tostring(v) end
end

local function number(v)
  if type(v) == "string" then v = tonumber(v) end
  if type(v) == "number" then return v end
end

-- An error message, or nil and the steps the call takes.
local function rep_refusal(s, n, sep)
  local len, sep_len, times = text_len(s), sep == nil and 0 or text_len(sep), number(n)
  if not (len and sep_len and times and times > 0) then return nil end  -- rep itself decides
  times = times * 1.0  -- floats: no integer wrap-around
  local bytes = times * len + (times - 1) * sep_len
  if bytes > MAX_BYTES then return too_big("string.rep", bytes) end
  if times > MAX_REPS then
    return format("string.rep: %s repetitions is over the limit of %s", count(times), count(MAX_REPS))
  end
  return nil, times + bytes / 16
end

string.rep = function(...)
  local s, n, sep = ...
  if sep == nil and type(n) == "number" and n <= FEW_REPS and type(s) == "string" then
    local bytes = n * #s
    if bytes <= SMALL_RESULT then return raw.rep(...) end
    if bytes <= MAX_BYTES then
      charge(bytes / 16)
      return raw.rep(...)
    end
  end
  local refusal, steps = rep_refusal(s, n, sep)
  if refusal then error(refusal, 2) end
  if steps then charge(steps) end
  return raw.rep(...)
end

string.format = function(...)
  local result = raw.format(...)
  if #result > SMALL_RESULT then check_result("string.format", result) end
  return result
end

-- Without a metatable concat reads the table as it is (a missing item stops it); with one,
-- each item may call a C __index: count them first.
table.concat = function(...)
  local t, sep, i, j = ...
  if getmetatable(t) == nil or type(t) ~= "table" then
    local result = raw.concat(...)
    if #result > SMALL_RESULT then check_result("table.concat", result) end
    return result
  end
  if j == nil then j = #t end  -- what concat would read (a __len runs once, here)
  local first, last = number(i == nil and 1 or i), number(j)
  if first and last and last >= first then
    local items = (last - first + 1) * 1.0
    if items > MAX_ITEMS then
      error(format("table.concat: %s items is over the limit of %s for a table with a metatable",
        count(items), count(MAX_ITEMS)), 2)
    end
    charge(items * 16)
  end
  local result = raw.concat(t, sep, i, j)
  if #result > SMALL_RESULT then check_result("table.concat", result) end
  return result
end

-- Without a comparator every comparison is made in C, out of the hook's reach: bound the items
-- (about 18 comparisons an item at the limit).
table.sort = function(...)
  local t, comp = ...
  if comp == nil and type(t) == "table" then
    local n = #t
    if n > MAX_SORT then
      error(format("table.sort: %s items is over the limit of %s without a comparator (give one to sort more)",
        count(n), count(MAX_SORT)), 2)
    end
    charge(n * 18)
  end
  return raw.sort(...)
end

-- Pattern functions: a subject within the pattern's cheap length passes at once; any other
-- is bounded (pattern_cost), refused over the limit, and charged.
local function guard(name, s, p, init, plain)
  local steps = type(s) == "string" and worst_case(plain and "plain" or name, p, #s)
  if not steps or steps > MAX_STEPS then
    local refusal
    refusal, steps = check(name, s, p, init, plain)
    if refusal then error(refusal, 3) end
  end
  if steps then charge(steps) end
end
"""


# One wrapper per pattern function, each calling its original by name (for argument errors).
PATTERN_WRAPPER_LUA = """
string.{name} = function(...)
  local s, p, a3, a4 = ...
  local small = {cheap}[p]
  if not (small and type(s) == "string" and #s <= small) then guard("{name}", s, p, {init}, {plain}) end
  return raw.{name}(...)
end
"""
PATTERN_WRAPPERS_LUA = "".join(PATTERN_WRAPPER_LUA.format(name=name, cheap=cheap, init=init, plain=plain)
                               for name, cheap, init, plain in (
                                   ("find", "(a4 and cheap.plain or cheap.find)", "a3", "a4"),
                                   ("match", "cheap.match", "a3", "nil"),
                                   ("gmatch", "cheap.gmatch", "nil", "nil"),
                                   ("gsub", "cheap.gsub", "nil", "nil")))


def install_limits(strip: Any, poll: Any) -> Any:
    """Install the guarded functions. ``strip`` is the function ``STRIP_LUA`` returned,
    ``poll`` the sandbox's hook (run every ``POLL_EVERY`` steps of C work). Returns the
    pattern check, ``check(name, s, p, init, plain) -> refusal or (nil, steps)`` (for tests),
    and ``forget_scans()``, to call when an entry into Lua ends."""
    analyse, members = strip(PATTERN_ITEMS_LUA)(MAX_CACHED_ENTRIES)
    check, worst_case, cheap, size, forget_scans = strip(PATTERN_COST_LUA)(
        analyse, members, MAX_STEPS, CHEAP_STEPS, MAX_CACHED_ENTRIES)
    strip(LIMITS_LUA + PATTERN_WRAPPERS_LUA)(check, worst_case, cheap, size, poll, MAX_BYTES, MAX_REPS,
                                             MAX_ITEMS, MAX_STEPS, POLL_EVERY, MAX_SORT)
    return check, forget_scans
