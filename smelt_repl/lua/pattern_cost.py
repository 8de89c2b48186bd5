"""How long a Lua pattern match can run, bounded before it runs (Lua source).

Lua's matcher (lstrlib.c) is C: the instruction hook never fires inside it, so a pattern
that backtracks (``("a*"):rep(40) .. "c"``) would freeze the REPL past the budget and Ctrl-C.
``PATTERN_COST_LUA`` returns ``check(name, s, p, init, plain)``: an error message when an
upper bound on the matcher's work is over ``MAX_STEPS``, else nil and the bound. The guarded
``string.find/match/gmatch/gsub`` (``smelt_repl.lua.limits``) call it, or for a pattern seen
before ``worst_case(name, p, n)`` (its bound for any subject of ``n`` bytes) and ``cheap``.

The bound counts steps (a test of a character against a class, a try of the rest of the
pattern: 5-10 ns here) over every start the call may try (one when anchored by ``^``,
which gmatch does not honour; else every position):

* A pattern is a list of items (classes, maybe quantified; captures; ``%b``, ``%f``, ``%1``;
  a final ``$``). Only ``*``, ``+``, ``-`` (``R + 1`` ways, ``R`` the longest run of the class)
  and ``?`` (2) branch; the tries reaching an item are at most the product of the branchings
  before it, and each pays what the item costs (1 for a class, more for a long set; ``%b``
  and ``%1`` scan the subject).
* Items after the last one that can fail cannot fail: the first try reaching them ends the
  attempt in a match, so they cost at most the subject once in all (``[^\\n]+``, ``.*$``).
* A branching class followed by a required class disjoint from it (``%w+=``, ``%S+%s``) lets
  only one of its tries past that class.
* A lazy all-class item followed only by items that may match empty and a final ``$``
  (``(.-)%s*$``) always ends in a match: a call reaches it once or twice.

With ``R`` the subject's length this worst case decides most calls from the length alone, and
``cheap`` caches per pattern the longest subject whose bound is negligible (the guards pass it
untested). Over ``MAX_STEPS`` the bound is recomputed from the subject, by scans that are
linear C calls in a Lua loop (the hook still fires): the real longest runs; only the starts
where the first class matches; over a group of tries at distinct positions (the starts, or
the tries one arrival at a branching item hands on), a class costs at most the sum of its
runs from every position; and for ``(.-)\\n``-like patterns only the starts after the last
stopper can fail. A call still over ``MAX_STEPS`` is refused. The bound is an upper one: it
may refuse a subject that would have matched quickly, never pass one that would not.
"""

from __future__ import annotations

PATTERN_COST_LUA = r"""
local analyse, members, MAX_STEPS, CHEAP_STEPS, MAX_CACHED = ...
local type, tostring, tonumber, pairs, min, tointeger = type, tostring, tonumber, pairs, math.min,
  math.tointeger
local find, gmatch, format = string.find, string.gmatch, string.format

local OVERHEAD = {find = 1, match = 1, gmatch = 1, gsub = 3}  -- steps per start position

-- Subject scans, kept for the last subject scanned (a loop calls again on the same string)
-- until the entry into Lua ends (the runtime calls forget_scans: the subject may be large).
local scanned_s, scans = nil, {}
local function scans_of(s)
  if scanned_s ~= s then scanned_s, scans = s, {} end
  return scans
end

local function forget_scans() scanned_s = nil end  -- allocates nothing: safe when memory is short

-- Longest run, matching characters and the sum over every start of (run from there + 1).
local function runs(s, class)
  local cache = scans_of(s)
  local r = cache[class]
  if r then return r end
  local n = #s
  if members(class).n == 256 then
    r = {max = n, count = n, sum = (n + 1) + n * (n + 1) / 2}
  else
    local longest, count, sum = 0, 0, n + 1
    for a, b in gmatch(s, "()" .. class .. "+()") do
      local len = b - a
      if len > longest then longest = len end
      count, sum = count + len, sum + len * (len + 1) / 2
    end
    r = {max = longest, count = count, sum = sum}
  end
  cache[class] = r
  return r
end

-- Positions after the last character of `class` (the whole subject when there is none).
local function after_last(s, class)
  local cache = scans_of(s)
  local key = "$" .. class
  local t = cache[key]
  if t == nil then
    local _, _, at = find(s, "^.*()" .. class .. "()")
    t = at and #s - at or #s
    cache[key] = t
  end
  return t
end

local function run_at(s, class, pos)
  local _, e = find(s, "^" .. class .. "*", pos)
  return e and e - pos + 1 or 0
end

local function stopper_bound(info, n, S, overhead, s)
  local items, j, k = info.items, info.j1, info.stopper
  local W = S * overhead
  for i = 1, j - 1 do W = W + S * items[i].w end
  local t = after_last(s, items[k].c) * 1.0
  local per_try = items[j].w + items[k].w + (k - j)
  return W + (2 * (n + 1) + t * (t + 1)) * per_try + (n + 1) * info.tail_w + S * info.tail_len
end

-- Polynomials in x = n + 1 (coefficient i of x^(i-1)); floats: products overflow integers.
local function padd(a, b)
  local r = {}
  for i = 1, #a > #b and #a or #b do r[i] = (a[i] or 0) + (b[i] or 0) end
  return r
end

local function pmul(a, b)
  local r = {}
  for i = 1, #a do
    for j = 1, #b do r[i + j - 1] = (r[i + j - 1] or 0) + a[i] * b[j] end
  end
  return r
end

local function K(c) return {c * 1.0} end
local function pmin(a, b) return {min(a[1], b[1])} end  -- constants only: with a subject

local function value(poly, n)
  local v, x = 0.0, n + 1.0
  for i = #poly, 1, -1 do v = v * x + poly[i] end
  return v
end

-- Steps of items from..to reached by `arrivals` tries (polynomials in x = n + 1); `s` given:
-- refined by scanning the subject. Arrivals fall in `sweeps` groups, each at distinct
-- positions (the starts are one group; so are the tries one arrival at a branching item
-- hands on): over a group, a class counts at most the sum of its runs from every position.
local function walk(info, from, to, x, s, start, arrivals, sweeps)
  local items, W = info.items, K(0)
  local eighth = pmul(padd(x, K(-1)), K(1 / 8))  -- n / 8: a scan of the subject
  for i = from, to do
    local it = items[i]
    local k, q = it.k, it.q
    if k == "b" then  -- scans only where its opening character is
      local scans = s and pmin(arrivals, pmul(sweeps, K(runs(s, it.open).count))) or arrivals
      W, sweeps = padd(W, padd(arrivals, pmul(scans, eighth))), arrivals
    elseif k == "r" then
      W, sweeps = padd(W, pmul(arrivals, padd(eighth, K(1)))), arrivals
    elseif k ~= "c" or q == nil or i == info.F then
      W = padd(W, pmul(arrivals, K(it.w)))
      if s and i == info.first and not info.anchored then  -- only where the first class matches
        arrivals = pmin(arrivals, K(runs(s, it.c).count))
      end
    elseif q == "?" then
      W, sweeps, arrivals = padd(W, pmul(arrivals, K(it.w))), arrivals, pmul(arrivals, K(2))
    else
      local tries
      if not s then
        tries = pmul(arrivals, x)
      elseif info.anchored and i == info.j1 then
        tries = pmul(arrivals, K(run_at(s, it.c, start + info.width) + 1))
      else
        local r = runs(s, it.c)
        tries = pmin(pmul(arrivals, K(r.max + 1)), pmul(sweeps, K(r.sum)))
      end
      W, sweeps = padd(W, pmul(tries, K(it.w))), arrivals
      if it.stop then
        W = padd(W, pmul(tries, K(items[it.stop].w + it.stop - i - 1)))
      else
        arrivals = tries
      end
    end
  end
  return W
end

-- Upper bound on the matcher's steps as a polynomial in x = n + 1: for any subject of n
-- bytes (x = {0, 1}), or for the subject `s` (x = {n + 1}).
local function bound(info, x, name, s, start)
  if name == "find" and info.literal then return pmul(x, K(1 + info.literal / 64)) end  -- memchr/memcmp
  local S = info.anchored and K(1) or x
  local W = padd(pmul(S, K(OVERHEAD[name])), walk(info, 1, info.F, x, s, start, S, K(1)))
  W = padd(padd(W, pmul(x, K(info.tail_w))), pmul(S, K(info.tail_len)))
  if info.suffix then  -- (.-)%s*$: reached once or twice a call, and then it matches
    W = padd(W, walk(info, info.suffix, #info.items, x, s, start, K(2), K(1)))
  end
  if s and info.stopper then W = pmin(W, K(stopper_bound(info, #s, S[1], OVERHEAD[name], s))) end
  return W
end

-- The longest subject whose worst case stays within `steps` (it grows with n).
local function longest_within(poly, steps)
  if value(poly, 0) > steps then return -1 end
  local lo, hi = 0, 1
  while value(poly, hi) <= steps do
    lo, hi = hi, hi * 2
    if hi > 2^40 then return hi end
  end
  while hi - lo > 1 do
    local mid = (lo + hi) // 2
    if value(poly, mid) <= steps then lo = mid else hi = mid end
  end
  return lo
end

-- Per pattern (MAX_CACHED entries, then all forgotten): its analysis; worst[name][p], the
-- bound for any subject as a polynomial; cheap[name][p], the longest subject whose bound is
-- at most CHEAP_STEPS (microseconds): the guards let those through at once.
local analyses = {anchor = {}, gmatch = {}}
local worst = {find = {}, plain = {}, match = {}, gmatch = {}, gsub = {}}
local cheap = {find = {}, plain = {}, match = {}, gmatch = {}, gsub = {}}
local cached = 0

local function forget_all()
  for _, group in pairs({analyses, worst, cheap}) do
    for _, t in pairs(group) do for k in pairs(t) do t[k] = nil end end
  end
  cached = 0
end

local function remember(t, p, entry)
  if #p > 1024 then return end
  if cached >= MAX_CACHED then forget_all() end
  t[p], cached = entry, cached + 1
end

local function analysis(name, p)
  local mode = name == "gmatch" and "gmatch" or "anchor"
  local info = analyses[mode][p]
  if info == nil then
    info = analyse(p, mode == "anchor")
    remember(analyses[mode], p, info)
  end
  local poly = worst[name][p]
  if poly == nil then
    poly = bound(info, {0, 1}, name)
    remember(worst[name], p, poly)
    remember(cheap[name], p, longest_within(poly, CHEAP_STEPS))
  end
  return info, poly
end

-- The worst case of `name` with the cached pattern p on n bytes (nil when p is not cached).
local function worst_case(name, p, n)
  local poly = worst[name][p]
  return poly and value(poly, n)
end

local function text(v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return tostring(v) end
end

local function start_of(init, n)
  if type(init) == "string" then init = tonumber(init) end
  init = type(init) == "number" and tointeger(init) or 1
  if init > 0 then return init end
  if init == 0 or init < -n then return 1 end
  return n + init + 1
end

local function size(n)
  if n < 1024 then return format("%d bytes", n) end
  if n < 1024 * 1024 then return format("%.1f KiB", n / 1024) end
  return format("%.1f MiB", n / (1024 * 1024))
end

-- For `string.<name>(s, p, init, plain)`: the error message, or nil and its bound in steps.
local function check(name, s, p, init, plain)
  s, p = text(s), text(p)
  if not (s and p) then return nil end  -- the function itself raises the argument error
  local n = #s
  if plain then  -- memchr and memcmp
    local poly = {0, 1 + #p / 64}
    if worst.plain[p] == nil then
      remember(worst.plain, p, poly)
      remember(cheap.plain, p, longest_within(poly, CHEAP_STEPS))
    end
    local steps = value(poly, n)
    if steps <= MAX_STEPS then return nil, steps end
    return format("string.find: plain search too costly for a subject of %s (up to %.3g steps, over the limit "
      .. "of %d); split the subject", size(n), steps, MAX_STEPS)
  end
  local info, poly = analysis(name, p)
  local steps = value(poly, n)
  if steps > MAX_STEPS then steps = bound(info, {n + 1.0}, name, s, start_of(init, n))[1] end
  if steps <= MAX_STEPS then return nil, steps end
  return format("string.%s: pattern too costly for a subject of %s (up to %.3g steps, over the limit of %d); "
    .. "use a plain find, an anchored or simpler pattern, or split the subject", name, size(n), steps, MAX_STEPS)
end

return check, worst_case, cheap, size, forget_scans
"""
