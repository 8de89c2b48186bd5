-- search.lua: `:search WORD` lists the saved sessions whose text mentions WORD.
--
-- Uses smelt.session.list() for the rows and smelt.session.texts() to read every
-- session's search text in one batch (on a thread pool), then matches case-insensitively.
-- Prints one line per hit: the short id (8 characters) and the title, else the first
-- user message.

local function nonempty(s)  -- list rows carry "" for a missing title or subtitle
  if s ~= "" then return s end
end

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

smelt.cmd.register("search", function(args)
  local word = trim(args or "")
  if word == "" then
    smelt.notify("usage: :search WORD")
    return
  end
  local rows = smelt.session.list()
  local ids = {}
  for i, row in ipairs(rows) do
    ids[i] = row.id
  end
  local texts = smelt.session.texts(ids)
  local needle, hits = word:lower(), 0
  for _, row in ipairs(rows) do
    local text = texts[row.id]
    if text and text:lower():find(needle, 1, true) then
      hits = hits + 1
      print(string.format("%s  %s", row.id:sub(1, 8), nonempty(row.title) or nonempty(row.subtitle) or "(untitled)"))
    end
  end
  if hits == 0 then
    smelt.notify("no saved session mentions " .. word)
  end
end, { desc = "search saved sessions: :search WORD" })
