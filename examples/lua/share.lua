-- share.lua: `:share` copies the last reply, or the whole conversation, to the clipboard.
--
-- Written in smelt's plugin style: the command spawns a task, asks with a dialog (drawn as
-- the REPL's picker; Esc cancels), copies with smelt.clipboard (OSC 52 and the system
-- tool), and reports with smelt.notify / smelt.notify_error. The note names the session
-- (its title, when it has one) and the model in use.

local function transcript(messages)
  local parts = {}
  for _, m in ipairs(messages) do
    parts[#parts + 1] = m.role .. ": " .. m.content
  end
  return table.concat(parts, "\n\n")
end

local function last_reply(messages)
  for i = #messages, 1, -1 do
    if messages[i].role == "assistant" then return messages[i].content end
  end
end

smelt.cmd.register("share", function()
  smelt.spawn(function()
    local messages = smelt.session.messages()
    if #messages == 0 then
      smelt.notify_error("share: nothing to share yet")
      return
    end
    local r = smelt.ui.dialog.open({
      title = "share",
      panels = {
        { kind = "options", items = { { label = "Copy the last reply" }, { label = "Copy the conversation" } } },
      },
    })
    if r.action == "dismiss" then
      smelt.notify("share: cancelled")
      return
    end
    local text = r.option_index == 1 and last_reply(messages) or transcript(messages)
    if not text then
      smelt.notify_error("share: no reply yet")
      return
    end
    smelt.clipboard(text)
    local title = smelt.session.title() or "this session"
    smelt.notify(string.format("share: copied %d characters of %s (%s)", #text, title, smelt.model.get()))
  end)
end, { desc = "copy the last reply or the conversation" })
