"""Keymap modes: one list (``keynotation.KEYMAP_MODES``) and one check, for Lua and the keys."""

from __future__ import annotations

import pytest

from smelt_repl.keybindings import user_mode_filter
from smelt_repl.keynotation import KEYMAP_MODES, KeyNotationError, check_keymap_mode
from tests.lua_helpers import host, lua_value  # noqa: F401
from tests.shell_driver import sh  # noqa: F401 - the fixture

WRONG = 'mode must be "n" (normal) or "i" (insert), got '


def test_the_modes():
    assert KEYMAP_MODES == {"n": "normal", "i": "insert"}
    for mode in KEYMAP_MODES:
        assert check_keymap_mode(mode) == mode
        assert user_mode_filter(mode) is not None


@pytest.mark.parametrize("mode", ["v", "N", "", "ni", " n"])
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
