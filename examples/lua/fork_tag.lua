-- fork_tag.lua: `:branch NAME` forks the session (the original stays as it was) and
-- continues in the copy, telling you both ids. It also emits a plugin event `branch`
-- {name, id, parent_id} that other plugins can listen to with smelt.events.on("branch", ...).

smelt.cmd.register("branch", function(args)
  local name = (args or ""):match("^%s*(.-)%s*$")
  if name == "" then
    smelt.notify("usage: :branch NAME")
    return
  end
  local parent = smelt.session.id()
  smelt.session.fork()
  local id = smelt.session.id()
  smelt.notify(string.format("branch %s: now in %s (forked from %s)", name, id:sub(1, 8), parent:sub(1, 8)))
  smelt.events.emit("branch", { name = name, id = id, parent_id = parent })
end, { desc = "fork into a named branch: :branch NAME" })
