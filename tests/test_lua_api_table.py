"""The ``smelt`` API table: it is what Lua gets, it decides the tiers, and ``:help lua`` lists it."""

from __future__ import annotations

import inspect

import pytest

from smelt_repl.commands import help_lua
from smelt_repl.events import EVENTS
from smelt_repl.lua.api_config import ConfigApi
from smelt_repl.lua.api_extend import ExtendApi
from smelt_repl.lua.api_session import SessionApi
from smelt_repl.lua.api_table import API, names
from smelt_repl.lua.api_tasks import TaskApi
from smelt_repl.lua.bindings import Tier
from tests.lua_helpers import headless_host, host, lua_value  # noqa: F401

# The functions a script sees: every ``smelt.ns.fn``, ``smelt.fn``, ``smelt.ui.dialog.open`` and
# callable tables (``smelt.notify``); smelt.settings is a proxy table.
LIVE_FUNCTIONS = """(function()
  local out = {}
  local function walk(prefix, t)
    for name, v in pairs(t) do
      local path = prefix .. name
      if type(v) == "function" then out[#out + 1] = path
      elseif type(v) == "table" and path ~= "settings" then
        local mt = getmetatable(v)
        if type(mt) == "table" and mt.__call then out[#out + 1] = path end
        walk(path .. ".", v)
      end
    end
  end
  walk("", smelt)
  table.sort(out)
  return out
end)()"""


def test_every_public_method_of_the_halves_is_a_row():
    rows = {row.function for row in API}
    for half in (SessionApi, ExtendApi, ConfigApi, TaskApi):
        for name, method in inspect.getmembers(half, inspect.isfunction):
            if not name.startswith("_"):
                assert method in rows, f"{half.__name__}.{name} has no row in api_table.API"


def test_rows_are_unique_and_documented():
    assert len({row.name for row in API}) == len(API)
    for row in API:
        assert isinstance(row.tier, Tier) and row.doc and "\n" not in row.doc, row.name


def test_lua_gets_exactly_the_table(host):
    live = lua_value(host, LIVE_FUNCTIONS)
    expected = {row.name for row in API if row.namespace != "settings" and not row.internal}
    assert set(live) == expected  # internal rows hide behind what the wrappers return (a Reg)


def test_session_names():
    assert len(names("session")) == 29 and {"rewind_to", "conversation", "tree", "checkpoint", "model_messages"} <= set(names("session"))
    assert names("cmd") == ("register", "remove", "list", "run")


@pytest.mark.parametrize("row", [r for r in API if r.tier is Tier.UI and not r.name.startswith("session.")
                                 and not r.internal],
                         ids=lambda r: r.name)
def test_the_table_decides_the_tier(headless_host, row):
    args = {"cmd.run": "'x'", "keymap.set": "'n', 'x', function() end", "ui.dialog.open": "{}"}[row.name]
    ok, msg = lua_value(headless_host, f"{{pcall(smelt.{row.name}, {args})}}")
    assert (ok, msg) == (False, f"smelt.{row.name} is UiHost-only: it needs the terminal UI (headless mode)")


def test_help_lua_lists_every_row_with_tier_and_doc():
    lines = help_lua().splitlines()
    for row in API:
        line = next((line for line in lines if line.strip().startswith(row.call + " ")), None)
        assert line is not None, f"{row.call} missing from :help lua"
        assert f"  {row.tier.value} " in line and line.endswith(row.doc)


def test_help_lua_lists_every_function_lua_has(host):
    text = help_lua()
    for name in lua_value(host, LIVE_FUNCTIONS):
        assert f"smelt.{name}(" in text, f"smelt.{name} missing from :help lua"
    assert "smelt.settings.NAME" in text and "pairs(smelt.settings)" in text


def test_help_lua_lists_the_events():
    events_line = next(line for line in help_lua().splitlines() if line.startswith("Events"))
    assert events_line.endswith(": " + ", ".join(EVENTS))


def test_events_is_what_a_session_fires(store, tmp_path, ui):
    from smelt_repl.app import App

    app = App(store, cwd=str(tmp_path), ui=ui, env={})
    fired: list[str] = []
    emit = app.events.emit
    app.events.emit = lambda name, payload=None: (fired.append(name), emit(name, payload))[1]
    app.events.on("stream_delta", lambda payload: None)  # fired only while someone listens
    app.start()
    app.send("hello")
    app.rewind_to(app.session.turns()[0].block_idx)
    app.send("again")
    first = app.session.id
    app.fork()
    app.reset()
    app.load(first)
    app.shutdown()
    assert set(fired) == set(EVENTS) and len(EVENTS) == 9, set(fired) ^ set(EVENTS)
