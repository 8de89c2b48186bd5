"""Lua in the running shell: commands, keymaps in their vim modes, output and errors."""

from __future__ import annotations

import time

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
    lua_sh.sync()  # the keymap has finished (the mode is set after the text)
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


def lua_config(xdg, code: str):
    config = xdg["config"] / "smelt"
    config.mkdir()
    (config / "init.lua").write_text(code)
    return config


def test_cmd_run_runs_builtin_and_lua_commands(lua_sh):
    lua_sh.command(":lua smelt.cmd.run(':cost')")
    lua_sh.wait_output("cache hits")
    lua_sh.command(":lua smelt.cmd.run(':greet from lua')")
    lua_sh.wait_output("hello from lua")
    lua_sh.command(":lua smelt.cmd.run(':nosuch')")
    lua_sh.wait_output("unknown command :nosuch")
    lua_sh.command(":lua print(pcall(smelt.cmd.run, ':rewind 9'))")
    lua_sh.wait_output("false\tno turn 9 to rewind to")
    assert "TypeError" not in lua_sh.output


def test_turn_end_output_follows_the_whole_reply(store, tmp_path, xdg, provider_server):
    config = lua_config(xdg, """
        smelt.events.on("turn_end", function()
          smelt.notify("turn over")
          smelt.cmd.run(":cost")  -- on the turn's thread: handed to the UI thread
        end)
    """)
    provider_server.script(text="first line\nlast line without newline", chunks=4)
    spec = provider_server.provider_spec("openai-compatible")
    with ShellDriver(store, tmp_path, lua_config=config, model="loop/m", providers={"loop": spec}) as sh:
        sh.submit("hi")
        out = sh.wait_output("cache hits")
        assert out.index("last line without newline") < out.index("turn over") < out.index("cache hits")


def test_insert_mode_keymap_of_two_keys_typed_at_human_speed(store, tmp_path, xdg):
    config = lua_config(xdg, 'smelt.keymap.set("i", "jk", function() smelt.notify("jk fired") end)')
    with ShellDriver(store, tmp_path, lua_config=config) as sh:
        sh.type("j")
        time.sleep(0.25)
        sh.type("k")
        sh.wait_output("jk fired")
        assert sh.buffer_text == ""
        sh.type("ja")
        sh.wait_for(lambda: sh.buffer_text == "ja", what="j then a typed as text")
        started = time.monotonic()
        sh.escape()
        assert time.monotonic() - started < 0.5


def test_rewind_from_lua_keeps_the_vim_mode_unless_asked(store, tmp_path, xdg):
    config = lua_config(xdg, """
        smelt.keymap.set("n", "gR", function()
          local turns = smelt.session.turns()
          smelt.session.rewind_to(turns[#turns].block_idx)
        end)
        smelt.keymap.set("n", "gZ", function() smelt.session.reset() end)
    """)
    with ShellDriver(store, tmp_path, lua_config=config) as sh:
        sh.submit("edit me")
        sh.escape()
        sh.type("gR")
        sh.wait_for(lambda: sh.buffer_text == "edit me", what="rewind")
        sh.sync()
        assert "NORMAL" in sh.status
        sh.type("gZ")
        sh.wait_for(lambda: "INSERT" in sh.status, what="reset puts the prompt in insert mode")


def test_ctrl_c_stops_runaway_lua_on_the_turn_thread(store, tmp_path, xdg):
    config = lua_config(xdg, """
        smelt.settings.lua_budget = 0
        smelt.events.on("turn_end", function() while true do end end)
    """)
    with ShellDriver(store, tmp_path, lua_config=config) as sh:
        try:
            sh.type("hi\r")
            sh.wait_output("Offline mode")
            sh.wait_for(lambda: sh.host.running, what="the handler to run")
            sh.command(":lua print('not now')")  # must not freeze the UI
            sh.wait_output("Lua is busy")
            sh.type("\x03")
            sh.wait_output("interrupted")
            sh.wait_idle()
            sh.command(":lua print('now ' .. 1)")
            sh.wait_output("now 1")
            assert "not now" not in sh.output
        finally:
            sh.host.interrupt()


def test_a_lua_command_with_a_builtins_name_replaces_it(store, tmp_path, xdg):
    config = lua_config(xdg, 'smelt.cmd.register("fork", function(args) smelt.notify("my fork: " .. tostring(args)) end,'
                             ' {desc = "my own fork"})')
    with ShellDriver(store, tmp_path, lua_config=config) as sh:
        sh.submit("hello")
        sh.command(":fork now")
        sh.wait_output("my fork: now")
        assert "forked" not in sh.output
        sh.command(":help")
        out = sh.wait_output("(replaces the built-in)")
        assert ":fork" in out and "(replaced by a Lua command)" in out
