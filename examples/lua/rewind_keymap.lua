-- rewind_keymap.lua: in vim normal mode, `gr` rewinds to the last user turn: that turn
-- and everything after it leave the live history, its text comes back into the prompt,
-- and the prompt is left in insert mode, ready to edit and send again.
--
-- Nothing is lost: the transcript on disk is append-only and `:rewind undo` brings the
-- turns back.

smelt.keymap.set("n", "gr", function()
  local turns = smelt.session.turns()
  local last = turns[#turns]
  if not last then
    smelt.notify("nothing to rewind")
    return
  end
  smelt.session.rewind_to(last.block_idx, { restore_vim_insert = true })
end, { desc = "rewind to the last user turn and edit it" })
