"""Keymap modes: one list (``keynotation.KEYMAP_MODES``) and one check, for Lua and the keys."""

from __future__ import annotations

import pytest

from smelt_repl.keybindings import user_mode_filter
from smelt_repl.keynotation import KEYMAP_MODES, KeyNotationError, check_keymap_mode
from tests.lua_helpers import host, lua_value  # noqa: F401
from tests.shell_driver import sh  # noqa: F401 - the fixture

WRONG = ('mode must be one of "n" (normal), "i" (insert), "v" (visual), "" (every mode) or a long name '
         '(normal, insert, visual), got ')


def test_the_modes():
    assert KEYMAP_MODES == {"n": "normal", "i": "insert", "v": "visual", "": "every mode"}
    for mode in KEYMAP_MODES:
        assert check_keymap_mode(mode) == mode
        assert user_mode_filter(mode) is not None
    assert [check_keymap_mode(m) for m in ("normal", "insert", "visual")] == ["n", "i", "v"]


@pytest.mark.parametrize("mode", ["N", "x", "ni", " n", "Normal"])
def test_other_modes_are_refused(mode):
    with pytest.raises(KeyNotationError) as caught:
        check_keymap_mode(mode)
    assert str(caught.value) == WRONG + repr(mode)
    with pytest.raises(KeyNotationError):
        user_mode_filter(mode)


def test_lua_error_names_the_function(host, ui):
    ok, msg = lua_value(host, "{pcall(smelt.keymap.set, 'x', 'gg', function() end)}")
    assert (ok, msg) == (False, "smelt.keymap.set: " + WRONG + "'x'")
    assert ui.keymaps == {}


def test_bad_mode_in_the_shell_is_one_line(sh):
    sh.command(":lua smelt.keymap.set('o', 'gg', function() end)")
    out = sh.wait_output("smelt.keymap.set: " + WRONG + "'o'")
    assert [line for line in out.splitlines() if "keymap.set" in line and "mode" in line] == [
        ":lua:1: smelt.keymap.set: " + WRONG + "'o'"]
    assert sh.shell.user_keymaps() == []


def test_keymaps_by_smelt_mode_names_and_every_mode(sh):
    sh.command(":lua smelt.keymap.set('normal', '<leader>x', function() smelt.notify('leader x') end)")
    sh.command(":lua smelt.keymap.set('', '<C-s>', function() smelt.notify('ctrl s anywhere') end)")
    sh.command(":lua smelt.keymap.set('visual', 'Y', function() smelt.notify('visual Y') end)")
    sh.type("\x13")  # Ctrl-S in insert mode
    sh.wait_output("ctrl s anywhere")
    sh.escape()
    sh.type("\\x")
    sh.wait_output("leader x")
    sh.type("\x13")
    sh.wait_output("ctrl s anywhere", count=2)
    sh.type("ihello\x1bvY")
    sh.wait_output("visual Y")


def test_unknown_key_names_raise_at_once(host, ui):
    ok, msg = lua_value(host, "{pcall(smelt.keymap.set, 'n', '<C-nope>', function() end)}")
    assert ok is False and "unknown key <C-nope>" in msg
    assert lua_value(host, "(pcall(smelt.keymap.set, 'n', 'c-r', function() end))") is True
    assert ("n", "c-r") in ui.keymaps  # a plain "c-r" is the three keys c, -, r, as in Vim
