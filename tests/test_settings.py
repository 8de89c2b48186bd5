"""The settings table: defaults, checks, the Lua errors they become, and ``:help settings``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smelt_repl.commands import help_settings
from smelt_repl.settings import (
    DEFAULT_LUA_BUDGET,
    DEFAULT_SETTINGS,
    SETTINGS,
    SettingError,
    check_setting,
    default_settings,
)
from smelt_repl.system_prompt import DEFAULT_SYSTEM_PROMPT
from tests.lua_helpers import host, lua_value  # noqa: F401

PACKAGE = Path(__file__).resolve().parent.parent / "smelt_repl"
READ = re.compile(r"""settings(?:\.get\(|\[|\.setdefault\()\s*["'](\w+)["']""")


def test_defaults():
    assert default_settings() == {
        "model": None, "system_prompt": DEFAULT_SYSTEM_PROMPT, "vim": True, "restore_vim_insert": True,
        "leader": "\\", "lua_budget": DEFAULT_LUA_BUDGET, "auto_compact": False,
        "replay_turns": 20,
    }
    fresh = default_settings()
    fresh["vim"] = False
    assert default_settings()["vim"] is True and dict(DEFAULT_SETTINGS) == default_settings()


def test_every_setting_the_program_reads_is_in_the_table():
    read = {name for path in PACKAGE.rglob("*.py") for name in READ.findall(path.read_text(encoding="utf-8"))}
    assert read, "the scan found no settings reads at all"
    assert read <= {s.name for s in SETTINGS}, read - {s.name for s in SETTINGS}


def test_every_setting_has_a_doc_and_a_default_of_its_type():
    for setting in SETTINGS:
        assert setting.doc and "\n" not in setting.doc, setting.name
        assert check_setting(setting.name, setting.default) == setting.default


@pytest.mark.parametrize("name,value,message", [
    ("vim", "yes", "smelt.settings.vim must be a boolean, got string"),
    ("model", 3, "smelt.settings.model must be a string, got number"),
    ("lua_budget", True, "smelt.settings.lua_budget must be a number, got boolean"),
    ("lua_budget", 1.5, "smelt.settings.lua_budget must be a number, got number"),
    ("lua_budget", -1, "smelt.settings.lua_budget must be >= 0 (0: no budget)"),
    ("leader", {"a": 1}, "smelt.settings.leader must be a string, got table"),
])
def test_wrong_values_are_refused_in_one_line(name, value, message):
    with pytest.raises(SettingError) as caught:
        check_setting(name, value)
    assert str(caught.value) == message


def test_checked_values():
    assert check_setting("lua_budget", 1e6) == 1_000_000 and type(check_setting("lua_budget", 1e6)) is int
    assert check_setting("model", None) is None  # nil: the setting is removed
    assert check_setting("my_plugin", {"any": ["thing"]}) == {"any": ["thing"]}  # not ours: unchecked


@pytest.mark.parametrize("assignment,message", [
    ("smelt.settings.vim = 'yes'", "smelt.settings.vim must be a boolean, got string"),
    ("smelt.settings.restore_vim_insert = 1", "smelt.settings.restore_vim_insert must be a boolean, got number"),
    ("smelt.settings.model = {}", "smelt.settings.model must be a string, got table"),
    ("smelt.settings.leader = function() end", "smelt.settings.leader must be a string, got function"),
    ("smelt.settings.lua_budget = -5", "smelt.settings.lua_budget must be >= 0 (0: no budget)"),
])
def test_type_errors_are_one_line_lua_errors(host, app, assignment, message):
    before = dict(app.settings)
    ok, msg = lua_value(host, f"{{pcall(function() {assignment} end)}}")
    assert (ok, msg) == (False, message)
    assert app.settings == before


def test_lua_sees_every_default(host):
    for setting in SETTINGS:
        if setting.name == "model":  # reads the model in use: the offline responder by default
            assert lua_value(host, "smelt.settings.model") == "offline/offline"
            continue
        assert lua_value(host, f"smelt.settings.{setting.name}") == setting.default, setting.name
    assert lua_value(host, "smelt.settings.lua_budget") == DEFAULT_LUA_BUDGET


def test_help_settings_lists_the_table():
    lines = help_settings().splitlines()
    assert lines[0].startswith("Settings")
    for setting in SETTINGS:
        row = next((line for line in lines if line.split()[:1] == [setting.name]), None)
        assert row is not None, f"{setting.name} missing from :help settings"
        assert setting.doc in row
    row = {line.split()[0]: line for line in lines[1:]}
    assert " nil " in row["model"] and " true " in row["vim"] and "50000000" in row["lua_budget"]
    assert '"\\\\"' in row["leader"] and '"You are a hel…"' in row["system_prompt"]
