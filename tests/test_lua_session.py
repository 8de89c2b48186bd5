"""``smelt.session.*`` against a real App and session store, with a recording UI or headless."""

from __future__ import annotations

import pytest

from smelt_repl.lua.api_table import names
from tests.lua_helpers import headless_host, host, lua, lua_value  # noqa: F401

SESSION_FUNCTIONS = names("session")
SAMPLE_ARGS = {"delete": "'abcd'", "load": "'abcd'", "text": "'abcd'", "texts": "{}", "rewind_to": "nil",
               "set_title": "'t'", "set_title_for_history": "'t', 's', 1",
               "context_note": "'n', 't'", "checkpoint": "{summary = 's', first_live_message_index = 0}"}
UI_ONLY = [name for name in SESSION_FUNCTIONS if name != "tree"]  # tree is pure: it works headless (SPEC §4)


def test_all_eighteen_functions_exist(host):
    # SPEC §4's 18, plus title and messages (smelt-compat), plus issue 11's set_title,
    # set_title_for_history, conversation, info, status, context_note, tree, checkpoint, model_messages
    assert len(SESSION_FUNCTIONS) == 29
    found = lua_value(host, "(function() local t = {} for k in pairs(smelt.session) do t[#t+1] = k end "
                            "table.sort(t) return t end)()")
    assert found == sorted(SESSION_FUNCTIONS)


@pytest.mark.parametrize("name", UI_ONLY)
def test_headless_refuses_every_session_function(headless_host, name):
    args = SAMPLE_ARGS.get(name)
    ok, msg = lua_value(headless_host, f"{{pcall(smelt.session.{name}{', ' + args if args else ''})}}")
    assert ok is False
    assert msg == f"smelt.session.{name} is UiHost-only: it needs the terminal UI (headless mode)"


def test_headless_error_reported_with_location(headless_host, capsys):
    result = headless_host.run_chunk("local x = 1\nprint(smelt.session.id())", "@job.lua")
    assert not result.ok
    err = capsys.readouterr().err
    assert err.strip() == ("error: job.lua:2: smelt.session.id is UiHost-only: it needs the terminal UI "
                           "(headless mode)")


def test_facts_of_the_current_session(host, app, tmp_path):
    facts = lua_value(host, "{id = smelt.session.id(), dir = smelt.session.dir(), cwd = smelt.session.cwd(),"
                            " created = smelt.session.created_at_ms(), ctx = smelt.session.context_tokens(),"
                            " cost = smelt.session.cost()}")
    assert facts == {"id": app.session.id, "dir": str(app.session.dir), "cwd": str(tmp_path),
                     "created": app.session.created_at_ms, "cost": 0.0}  # ctx absent: nil


def test_tokens_cache_hit_ratio_nil_until_input(host, app):
    assert lua_value(host, "smelt.session.tokens()") == {
        "input": 0, "output": 0, "cache_read": 0, "cache_write": 0, "reasoning": 0, "total": 0}
    app.send("hello")  # offline provider: counts tokens
    tokens = lua_value(host, "smelt.session.tokens()")
    assert tokens["input"] > 0 and tokens["total"] == tokens["input"] + tokens["output"]
    assert tokens["cache_hit_ratio"] == 0
    assert lua_value(host, "smelt.session.context_tokens()") > 0


def test_turns_are_zero_based_rows(host, app):
    app.send("first line\nsecond line")
    app.send("again")
    assert lua_value(host, "smelt.session.turns()") == [
        {"block_idx": 0, "label": "first line"}, {"block_idx": 2, "label": "again"}]


def test_system_and_context_window(host, app):
    lua(host, 'smelt.system.append("Always answer in haiku.")')
    system = lua_value(host, "smelt.session.system()")
    assert system == app.system() and system.endswith("Always answer in haiku.")
    assert lua_value(host, "smelt.session.context_window()") is None


def test_rewind_fires_event_and_restores_prompt(host, app, ui):
    app.send("one")
    app.send("two")
    lua(host, """
        seen = {}
        smelt.events.on("rewind", function(ev) seen[#seen + 1] = ev end)
        smelt.session.rewind_to(2, {restore_vim_insert = true})
    """)
    assert lua_value(host, "seen") == [{"block_idx": 2, "restored_text": "two"}]
    assert ui.prompt == "two" and ui.vim_insert
    assert len(app.session.messages) == 2


def test_rewind_to_nil_and_bad_index(host, app, ui):
    app.send("one")
    ok, msg = lua_value(host, "{pcall(smelt.session.rewind_to, 1)}")
    assert ok is False and msg.startswith("block 1 is not a user turn")
    ok, msg = lua_value(host, "{pcall(smelt.session.rewind_to, 'x')}")
    assert ok is False and "block_idx must be an integer or nil, got string" in msg
    lua(host, "smelt.session.rewind_to(nil)")
    assert app.session.messages == [] and ui.prompt == "one" and not ui.vim_insert


def test_fork_fires_event_and_switches(host, app):
    app.send("hello")
    parent = app.session.id
    lua(host, """
        forks = {}
        smelt.events.on("fork", function(ev) forks[#forks + 1] = ev end)
        smelt.session.fork()
    """)
    assert lua_value(host, "forks") == [{"id": app.session.id, "parent_id": parent}]
    assert lua_value(host, "smelt.session.id()") == app.session.id != parent


def test_fork_of_empty_session_is_a_lua_error(host):
    ok, msg = lua_value(host, "{pcall(smelt.session.fork)}")
    assert ok is False and msg.startswith("nothing to fork")


def test_list_text_texts_load_delete_reset(host, app, ui):
    app.send("alpha bravo")
    first = app.session.id
    lua(host, "smelt.session.reset()")
    assert app.session.id != first
    app.send("charlie")
    second = app.session.id
    lua(host, "smelt.session.reset()")
    rows = lua_value(host, "smelt.session.list()")
    assert [r["id"] for r in rows] == [second, first]
    assert set(rows[0]) >= {"id", "subtitle", "cwd", "updated_at_ms", "created_at_ms", "size_bytes"}
    assert rows[0]["title"] == "" and rows[0]["parent_id"] == ""  # empty text fields: "", never nil
    assert "alpha bravo" in lua_value(host, f"smelt.session.text('{first}')")
    assert lua_value(host, "smelt.session.text('" + "0" * 64 + "')") is None
    texts = lua_value(host, f"smelt.session.texts({{'{first}', '{second}', '{'f' * 64}'}})")
    assert set(texts) == {first, second}
    lua(host, f"smelt.session.load('{first}')")
    assert app.session.id == first and ui.shown[-1] == app.session.messages
    ok, msg = lua_value(host, f"{{pcall(smelt.session.delete, '{first}')}}")
    assert ok is False and msg == "refusing to delete the current session"
    lua(host, f"smelt.session.delete('{second}')")
    assert [r["id"] for r in app.list_sessions()] == []


def test_bad_ids_are_person_readable_errors(host):
    for call in ("smelt.session.load('../etc')", "smelt.session.delete('nope-nope')", "smelt.session.load(42)"):
        ok, msg = lua_value(host, f"{{pcall(function() return {call} end)}}")
        assert ok is False and "Traceback" not in msg and msg, call
    ok, msg = lua_value(host, "{pcall(smelt.session.load, 42)}")
    assert msg == "smelt.session.load: id must be a string, got number"
