"""``smelt.session`` beyond the seed, from Lua in the real REPL: titles, the conversation,
info and status, the tree (headless too), paged lists, smelt's newer spellings."""

from __future__ import annotations

from smelt_repl.app import App
from tests.lua_helpers import host, lua_value  # noqa: F401 - the fixture
from tests.shell_driver import ShellDriver, sh  # noqa: F401 - the fixture


def lua_in(sh: ShellDriver, expr: str) -> str:
    """Evaluate ``expr`` with ``:lua =`` in the REPL and return the line it printed."""
    marker = f"<<{len(sh.chunks)}>>"
    sh.command(f':lua print("{marker}" .. tostring({expr}))')
    out = sh.wait_output(marker)
    return out.rsplit(marker, 1)[1].splitlines()[0]


def test_titles_conversation_info_status_in_the_real_repl(sh):
    assert lua_in(sh, "smelt.session.title()") == "nil"
    sh.submit("first question")
    sh.submit("second question")
    sh.command(':lua smelt.session.set_title("Plans")')
    assert lua_in(sh, "smelt.session.title()") == "Plans" and lua_in(sh, "smelt.session.title.get()") == "Plans"
    assert sh.app.store.list()[0]["title"] == "Plans"
    assert lua_in(sh, "smelt.session.set_title_for_history('Old', 'old', 2)") == "false"
    assert lua_in(sh, "smelt.session.title()") == "Plans"
    assert lua_in(sh, "#smelt.session.messages.list()") == "4"
    assert lua_in(sh, "#smelt.session.conversation()") == "4"
    assert lua_in(sh, "smelt.session.conversation({limit = 1})[1].role") == "assistant"
    assert lua_in(sh, "smelt.session.conversation({since_index = 2})[1].content") == "second question"
    assert lua_in(sh, "smelt.session.info().message_count") == "4"
    assert lua_in(sh, "smelt.session.info().model") == "offline/offline"
    assert lua_in(sh, "smelt.session.status().provider") == "offline"


def test_tree_works_headless(headless_app):
    from smelt_repl.lua_host import LuaHost

    host = LuaHost(headless_app)
    code = ("(function() local t = smelt.session.tree({{id = 'a', updated_at_ms = 1}, "
            "{id = 'b', parent_id = 'a', updated_at_ms = 2}}); return t[2].tree_prefix .. t[2].id end)()")
    assert lua_value(host, code) == "└─ b"


def test_list_pages_with_a_cursor(store, tmp_path):
    for n in range(5):
        app = App(store, cwd=str(tmp_path), env={})
        app.start()
        app.send(f"session {n}")
        app.shutdown()
    with ShellDriver(store, tmp_path) as sh:
        first = lua_in(sh, "(function() local p = smelt.session.list({limit = 2}); "
                           "return p.entries[1].subtitle .. ',' .. p.entries[2].subtitle .. ',' .. p.next_cursor end)()")
        names = first.split(",")
        assert names[:2] == ["session 4", "session 3"]
        cursor = names[2]
        rest = lua_in(sh, f"(function() local p = smelt.session.list({{limit = 10, cursor = '{cursor}'}}); "
                          "local out = {} for _, e in ipairs(p.entries) do out[#out+1] = e.subtitle end "
                          "return table.concat(out, ',') .. ';' .. tostring(p.next_cursor) end)()")
        assert rest == "session 2,session 1,session 0;nil"


def test_context_notes_go_into_the_system_prompt(sh):
    sh.command(':lua smelt.session.context_note("style", "Answer in haiku.")')
    sh.sync()
    assert sh.app.system().endswith("# style\n\nAnswer in haiku.")
    assert lua_in(sh, "smelt.session.system():find('Answer in haiku.', 1, true) ~= nil") == "true"
    sh.command(':lua smelt.session.context_note("style", nil)')
    sh.sync()
    assert "haiku" not in sh.app.system()


def test_lua_delete_needs_the_exact_id(store, tmp_path, host, app):
    other = App(store, cwd=str(tmp_path), env={})
    other.start()
    other.send("to delete")
    victim = other.session.id
    other.shutdown()
    ok, msg = lua_value(host, f"{{pcall(smelt.session.delete, '{victim[:8]}')}}")
    assert ok is False and "needs the exact id" in msg and (store.root / victim).exists()
    assert lua_value(host, f"(pcall(smelt.session.delete, '{victim}'))") is True
    assert not (store.root / victim).exists()
