"""``os.exit`` in the sandbox: a clean quit, not the end of the process on the spot.

Lua's own ``os.exit`` calls C ``exit()``: nothing would be saved. The sandbox's
``os.exit([code])`` asks the App to quit (``app.request_exit(code)``: the REPL quits as on
``:q``, a headless run ends with ``code`` after the normal shutdown), then raises
``EXIT_MESSAGE`` as a Lua error so the script stops. A ``pcall`` may catch that error; the
quit happens all the same. ``true`` and no argument mean 0, ``false`` means 1.
"""

from __future__ import annotations

EXIT_MESSAGE = "os.exit: quitting"

OS_EXIT_LUA = r"""
local request, EXIT_MESSAGE = ...
local type, tostring, tonumber, error, pcall, tointeger = type, tostring, tonumber, error, pcall,
  math.tointeger

os.exit = function(code)
  local status = code
  if code == nil or code == true then
    status = 0
  elseif code == false then
    status = 1
  else
    if type(status) == "string" then status = tonumber(status) end
    status = type(status) == "number" and tointeger(status) or nil
    if status == nil then
      local got = type(code) == "number" and "number has no integer representation"
        or "number expected, got " .. type(code)
      error("bad argument #1 to 'exit' (" .. got .. ")", 2)
    end
  end
  local ok, err = pcall(request, status)
  if ok and err ~= nil then error(tostring(err), 2) end
  error(EXIT_MESSAGE, 0)  -- the message handler adds the caller's file:line
end
"""
