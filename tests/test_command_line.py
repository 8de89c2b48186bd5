"""The one rule for ``:name args`` lines: the name ends at the first whitespace (space or
tab), the arguments are the rest, stripped; typed lines and ``smelt.cmd.run`` share it."""

from __future__ import annotations

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from smelt_repl.commands import CommandCompleter
from smelt_repl.lua import registries
from smelt_repl.lua.registries import split_command_line
from tests.lua_helpers import host, lua, lua_value  # noqa: F401
from tests.shell_driver import sh  # noqa: F401 - the fixture


@pytest.mark.parametrize("line,expected", [
    (":name args", ("name", "args")),
    (":name\targs", ("name", "args")),
    (":name \t args with  inner\tspace \t", ("name", "args with  inner\tspace")),
    (":name\t\t", ("name", "")),
    ("  :  name  x", ("name", "x")),
    ("name x", ("name", "x")),  # smelt.cmd.run may leave the colon out
    (":", ("", "")),
    ("", ("", "")),
    (" \t ", ("", "")),
])
def test_split_command_line(line, expected):
    assert split_command_line(line) == expected


def test_the_shell_and_lua_use_the_same_rule():
    from smelt_repl.commands import completion, table

    assert table.split_command_line is completion.split_command_line is registries.split_command_line


def test_cmd_run_splits_at_a_tab(host, ui):
    lua(host, "smelt.cmd.register('echo', function(a) return a end)")
    assert lua_value(host, "smelt.cmd.run(':echo\\tone two\\t')") == "one two"
    assert lua_value(host, "smelt.cmd.run(':cost\\tnow')") is None
    assert ui.builtin_runs == [("cost", "now")]


def test_typed_builtin_with_a_tab(sh):
    sh.command(r":lua smelt.cmd.run(':help\tsettings')")
    sh.wait_output("Settings (smelt.settings.NAME = value")


def test_completion_after_a_tab(sh):
    event = CompleteEvent(completion_requested=True)
    found = {c.text for c in CommandCompleter(sh.shell).get_completions(Document(":set\tn"), event)}
    assert found == {"novim"}
    found = {c.text for c in CommandCompleter(sh.shell).get_completions(Document(":help "), event)}
    assert found == {"lua", "settings"}
    found = {c.text for c in CommandCompleter(sh.shell).get_completions(Document(": he"), event)}
    assert found == {"help"}
