-- rewind_keymap.lua: in vim normal mode, `gr` rewinds to the last user turn: that turn
-- and everything after it leave the live history, its text comes back into the prompt,
-- and the prompt is left in insert mode, ready to edit and send again.
--
-- Nothing is lost: the transcript on disk is append-only and `:rewind undo` brings the
-- turns back.

-- Keymaps need the terminal UI: in headless runs (smelt-repl -p) this plugin steps aside
-- quietly instead of reporting an error on every run.
local ok, err = pcall(smelt.keymap.set, "n", "gr", function()
  local turns = smelt.session.turns()
  local last = turns[#turns]
  if not last then
    smelt.notify("nothing to rewind")
    return
  end
  smelt.session.rewind_to(last.block_idx, { restore_vim_insert = true })
end, { desc = "rewind to the last user turn and edit it" })
if not ok and not tostring(err):find("UiHost-only", 1, true) then
  error(err, 0)
end
