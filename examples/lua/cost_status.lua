-- cost_status.lua: after every turn, show what the session cost so far and how full the
-- context window is, e.g. `$0.0042 · ctx 1234/128000`.
--
-- smelt.session.* needs the terminal UI; in headless mode (`smelt-repl -p ...`) the call
-- fails, so the handler checks with pcall and stays quiet there.

local function context_usage()
  local used = smelt.session.context_tokens()
  if not used then
    return "ctx -"
  end
  local window = smelt.session.context_window()
  if window then
    return string.format("ctx %d/%d", used, window)
  end
  return string.format("ctx %d", used)
end

smelt.events.on("turn_end", function(event)
  local ok, cost = pcall(smelt.session.cost)
  if not ok then
    return -- headless: no UI to show a status in
  end
  local status = string.format("$%.4f · %s", cost, context_usage())
  if event.cancelled then
    status = status .. " · cancelled"
  end
  smelt.notify(status)
end)
