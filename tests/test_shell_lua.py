"""Lua in the running shell: commands, keymaps in their vim modes, output and errors."""

from __future__ import annotations

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from smelt_repl.commands import CommandCompleter
from tests.shell_driver import ShellDriver

INIT_LUA = r"""
smelt.cmd.register("greet", function(args) smelt.notify("hello " .. args) end, {desc = "say hello"})
smelt.cmd.register("bad", function() error("kaput") end, {desc = "always fails"})
smelt.keymap.set("n", "gr", function()
  local turns = smelt.session.turns()
  smelt.session.rewind_to(turns[#turns].block_idx, {restore_vim_insert = true})
end, {desc = "rewind to the last turn"})
smelt.keymap.set("i", "<C-r>", function() smelt.notify("ctrl-r in insert") end)
smelt.keymap.set("n", "<leader>x", function() print("leader x", 42) end)
smelt.keymap.set("n", "<C-x>", function() error("keymap went wrong") end)
"""


@pytest.fixture
def lua_sh(store, tmp_path, xdg):
    config = xdg["config"] / "smelt"
    config.mkdir()
    (config / "init.lua").write_text(INIT_LUA)
    project = tmp_path / "project"
    project.mkdir()
    with ShellDriver(store, project, lua_config=config) as driver:
        yield driver


def test_lua_command_runs_with_its_arguments(lua_sh):
    lua_sh.command(":greet big world")
    lua_sh.wait_output("hello big world\n")


def test_lua_commands_in_help_and_completion(lua_sh):
    lua_sh.command(":help")
    out = lua_sh.wait_output("Lua commands:")
    assert ":greet" in out and "say hello" in out
    assert "Lua keymaps:" in out and "n gr" in out and "rewind to the last turn" in out
    found = {c.text: c.display_meta_text for c in
             CommandCompleter(lua_sh.shell).get_completions(Document(":g"), CompleteEvent())}
    assert found == {"greet": "say hello"}


def test_lua_command_error_is_one_red_line(lua_sh):
    lua_sh.shell.color = True
    lua_sh.command(":bad")
    lua_sh.wait_output("kaput")
    red = [line for line in "".join(lua_sh.chunks).splitlines() if "\x1b[31m" in line]
    assert len(red) == 1 and "kaput" in red[0]
    lua_sh.command(":greet again")
    lua_sh.wait_output("hello again")


def test_normal_mode_keymap_rewinds(lua_sh):
    lua_sh.submit("to be edited")
    lua_sh.escape()
    lua_sh.type("gr")
    lua_sh.wait_for(lambda: lua_sh.buffer_text == "to be edited", what="gr rewind")
    assert "INSERT" in lua_sh.status and lua_sh.app.session.messages == []


def test_insert_mode_keymap_with_control_key(lua_sh):
    lua_sh.type("\x12")  # Ctrl-R
    lua_sh.wait_output("ctrl-r in insert")
    lua_sh.escape()
    lua_sh.type("\x12")  # not bound in normal mode
    lua_sh.sync()
    assert lua_sh.output.count("ctrl-r in insert") == 1


def test_leader_keymap_and_print(lua_sh):
    lua_sh.escape()
    lua_sh.type("\\x")
    lua_sh.wait_output("leader x\t42")


def test_keymap_error_is_reported_and_prompt_lives(lua_sh):
    lua_sh.escape()
    lua_sh.type("\x18")  # Ctrl-X
    lua_sh.wait_output("keymap went wrong")
    lua_sh.type("ihi")
    lua_sh.wait_for(lambda: lua_sh.buffer_text == "hi", what="prompt alive")


def test_rebinding_replaces_and_bad_notation_is_an_error(lua_sh):
    lua_sh.command(':lua smelt.keymap.set("i", "<C-r>", function() smelt.notify("replaced") end)')
    lua_sh.type("\x12")
    lua_sh.wait_output("replaced")
    assert "ctrl-r in insert" not in lua_sh.output
    lua_sh.command(':lua smelt.keymap.set("n", "<Nope>", function() end)')
    lua_sh.wait_output("unknown key <Nope>")


def test_runaway_lua_is_stopped_and_the_shell_lives(lua_sh):
    lua_sh.app.settings["lua_budget"] = 2_000_000
    lua_sh.command(":lua while true do end")
    lua_sh.wait_output("budget")
    lua_sh.command(":greet after")
    lua_sh.wait_output("hello after")


def test_lua_rewind_and_fork_drive_the_prompt(lua_sh):
    lua_sh.submit("lua will rewind me")
    lua_sh.command(":lua smelt.session.rewind_to(0)")
    lua_sh.wait_for(lambda: lua_sh.buffer_text == "lua will rewind me", what="rewind from Lua")


def test_events_printing_from_the_turn_thread(store, tmp_path, xdg):
    config = xdg["config"] / "smelt"
    config.mkdir()
    (config / "init.lua").write_text(
        'smelt.events.on("turn_end", function(e) smelt.notify("turn over, cancelled=" .. tostring(e.cancelled)) end)')
    with ShellDriver(store, tmp_path, lua_config=config) as sh:
        sh.submit("hi")
        sh.wait_output("turn over, cancelled=false")
