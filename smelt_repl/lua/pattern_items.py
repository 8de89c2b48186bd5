"""Lua patterns read as matcher items, for ``smelt_repl.lua.pattern_cost`` (Lua source).

``PATTERN_ITEMS_LUA`` returns ``analyse(p, anchor)``, which parses a pattern the way
lstrlib's ``match`` reads it (stopping where ``match`` would raise ``malformed pattern``) into
items: a class (``k = "c"``, text ``c``, quantifier ``q``, weight ``w``: 1, more for long
sets), captures, ``%b`` (``b``), ``%f`` (``f``), a back-reference (``r``), a final ``$``. It
also finds what the bound relies on: the last item that can fail (``F``: the items after it
never fail), the first class when it must match (``first``), the first branching item and
the fixed width before it (``j1``, ``width``), branching classes followed by a disjoint
required class (``stop``), and a ``(.-)\\n``-like stopper (``stopper``). ``members(class)``
gives the bytes a class matches, asked of the matcher itself.
"""

from __future__ import annotations

PATTERN_ITEMS_LUA = r"""
local MAX_CACHED = ...
local find, byte, char, sub = string.find, string.byte, string.char, string.sub

-- Bytes 0..255 that a class (item text such as "%s", "[^\n]", "a") matches, by the matcher itself.
local member_sets, member_count = {}, 0
local function members(class)
  local set = member_sets[class]
  if set then return set end
  set = {n = 0}
  local test = "^" .. class .. "()"
  for b = 0, 255 do
    if find(char(b), test) then set[b] = true; set.n = set.n + 1 end
  end
  if member_count >= MAX_CACHED then member_sets, member_count = {}, 0 end
  member_sets[class], member_count = set, member_count + 1
  return set
end

local function disjoint(a, b)
  if a.n + b.n > 256 then return false end
  for i = 0, 255 do if a[i] and b[i] then return false end end
  return true
end

local function covers_all(a, b)
  for i = 0, 255 do if not (a[i] or b[i]) then return false end end
  return true
end

-- The index just past the class at i (lstrlib's classEnd), or nil when malformed.
local function class_end(p, i, len)
  local c = byte(p, i)
  i = i + 1
  if c == 37 then return i <= len and i + 1 or nil end  -- %x
  if c ~= 91 then return i end
  if byte(p, i) == 94 then i = i + 1 end  -- [^
  repeat
    if i > len then return nil end
    local cc = byte(p, i)
    i = i + 1
    if cc == 37 and i <= len then i = i + 1 end
  until byte(p, i) == 93
  return i + 1
end

-- Items of a pattern, parsed as match() reads it; parsing stops where match() would raise.
local function parse(p, anchor)
  local len, i, items, anchored = #p, 1, {}, false
  if anchor and byte(p, 1) == 94 then anchored, i = true, 2 end
  while i <= len do
    local c, nxt = byte(p, i), byte(p, i + 1)
    local it
    if c == 40 then
      if nxt == 41 then it, i = {k = "()"}, i + 2 else it, i = {k = "("}, i + 1 end
    elseif c == 41 then it, i = {k = ")"}, i + 1
    elseif c == 36 and i == len then it, i = {k = "$"}, i + 1
    elseif c == 37 and nxt == 98 then
      if i + 3 > len then break end
      local open = byte(p, i + 2)
      local alnum = (open >= 48 and open <= 57) or (open >= 65 and open <= 90) or (open >= 97 and open <= 122)
      it, i = {k = "b", open = (alnum and "" or "%") .. char(open)}, i + 4
    elseif c == 37 and nxt == 102 then
      local e = byte(p, i + 2) == 91 and class_end(p, i + 2, len)
      if not e then break end
      it, i = {k = "f", c = sub(p, i + 2, e - 1)}, e
    elseif c == 37 and nxt and nxt >= 48 and nxt <= 57 then it, i = {k = "r"}, i + 2
    else
      local e = class_end(p, i, len)
      if not e then break end
      it = {k = "c", c = sub(p, i, e - 1)}
      local q = byte(p, e)
      if q == 42 or q == 43 or q == 45 or q == 63 then it.q, e = char(q), e + 1 end
      i = e
    end
    local class = it.c
    it.w = (class and #class > 2) and 1 + #class // 8 or 1
    items[#items + 1] = it
  end
  return items, anchored
end

local function is_capture(it) return it.k == "(" or it.k == ")" or it.k == "()" end

local function next_item(items, i)
  repeat i = i + 1 until not (items[i] and is_capture(items[i]))
  return i
end

local function nullable(it) return is_capture(it) or it.q == "*" or it.q == "-" or it.q == "?" end

local function all_class(it) return it.k == "c" and members(it.c).n == 256 end

-- Walking back from a final `$` over items that may match empty: a greedy all-class item
-- (`.*%s*$`) reaches the end, so `$` holds at its first try ("holds"); a lazy one (`(.-)%s*$`)
-- extends until it does, so any try reaching it ends in a match ("suffix", its index).
local function before_dollar(items)
  local i = #items
  if i == 0 or items[i].k ~= "$" then return nil end
  repeat
    i = i - 1
    local it = items[i]
    if it and all_class(it) and (it.q == "*" or it.q == "+") then return "holds" end
    if it and all_class(it) and it.q == "-" then return "suffix", i end
  until not (it and nullable(it))
end

-- The last item before `to` that can fail; a `+` there fails at once or ends the attempt.
local function last_fallible(items, to, dollar)
  for i = to - 1, 1, -1 do
    local it = items[i]
    local k = it.k
    if k == "c" then
      if it.q == nil or it.q == "+" then return i end
    elseif k == "b" or k == "r" or k == "f" or (k == "$" and dollar ~= "holds") then
      return i
    end
  end
  return 0
end

local function analyse(p, anchor)
  local items, anchored = parse(p, anchor)
  local dollar, suffix = before_dollar(items)
  local F = last_fallible(items, suffix or #items + 1, dollar)
  local info = {items = items, anchored = anchored, F = F, suffix = suffix, tail_w = 0, tail_len = 0}
  local head = (F > 0 and items[F].q == "+") and F or F + 1
  for i = head, (suffix or #items + 1) - 1 do
    info.tail_w, info.tail_len = info.tail_w + items[i].w, info.tail_len + 1
  end
  local first = 1
  while items[first] and is_capture(items[first]) do first = first + 1 end
  local it1 = items[first]
  if it1 and it1.k == "c" and (it1.q == nil or first == F) then info.first = first end
  if anchor and not find(p, "[%^%$%*%+%?%.%(%[%%%-]") then info.literal = #p end
  local width = 0  -- of the items before the first branching one, when fixed
  for i = 1, F - 1 do
    local it = items[i]
    local q = it.q
    if q == "*" or q == "+" or q == "-" then
      local k = next_item(items, i)
      local stop = items[k]
      if k <= F and stop.k == "c" and (stop.q == nil or stop.q == "+")
          and disjoint(members(it.c), members(stop.c)) then
        it.stop = k
      end
      if not info.j1 and width then
        info.j1, info.width = i, width
        if k == F and stop.k == "c" and stop.q == nil
            and (all_class(it) or (q == "-" and covers_all(members(it.c), members(stop.c)))) then
          info.stopper = k  -- (.-)\n: the first stopper after a start ends the attempt
        end
      end
      width = nil
    elseif q == "?" or it.k == "b" or it.k == "r" then
      width = nil
    elseif it.k == "c" and width then
      width = width + 1
    end
  end
  return info
end

return analyse, members
"""
