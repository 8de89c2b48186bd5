"""Meta-commands in the running shell: effects on the session, on disk, and on screen."""

from __future__ import annotations

import json

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from smelt_repl.commands import CommandCompleter
from tests.shell_driver import ShellDriver, sh  # noqa: F401 - the fixture


def transcript(session_dir) -> list[dict]:
    return [json.loads(line) for line in (session_dir / "transcript.jsonl").read_text().splitlines()]


def chat(sh, *messages: str) -> None:
    for message in messages:
        sh.submit(message)


def completions(shell, text: str, requested: bool = False) -> dict[str, str]:
    event = CompleteEvent(completion_requested=requested)
    return {c.text: c.display_meta_text for c in CommandCompleter(shell).get_completions(Document(text), event)}


def test_a_likely_typo_of_a_command_is_held_back_with_one_line(sh):
    sh.command(":fok")
    assert sh.wait_output("unknown command :fok: did you mean :fork?").count("\n") == 1
    assert sh.buffer_text == ":fok" and sh.app.session.messages == []
    assert not sh.exited(0.1)


def test_colon_in_normal_mode_opens_a_command_line_that_leaves_the_draft_alone(sh):
    sh.type("my draft, half written")
    sh.escape()
    sh.type(":help\r")
    sh.wait_output("Commands:")
    sh.sync()
    assert sh.buffer_text == "my draft, half written" and "NORMAL" in sh.status
    assert not sh.shell.command_line.active and sh.app.session.messages == []


def test_escape_or_erasing_the_colon_closes_the_command_line(sh):
    sh.type("draft")
    sh.escape()
    sh.type(":fork")
    sh.sync()
    assert sh.shell.command_line.active and sh.shell.command_line.buffer.text == ":fork"
    sh.type("\x1b")
    sh.sync()
    assert not sh.shell.command_line.active and sh.buffer_text == "draft"
    sh.type(":\x7f")  # Backspace over the ":"
    sh.sync()
    assert not sh.shell.command_line.active and sh.buffer_text == "draft"
    assert "forked" not in sh.output


def test_the_command_line_says_when_it_is_not_a_command(sh):
    sh.escape()
    sh.type(":nonsense here\r")
    sh.wait_output("not a command: :nonsense (try :help)")


def test_q_bang_on_the_command_line_quits(sh):
    sh.type("unsent draft")
    sh.escape()
    sh.type(":q!\r")
    assert sh.exited()


def test_rewind_n_restores_text_and_insert_mode(sh):
    chat(sh, "first question", "second question")
    sh.type(":rewind 2")
    sh.escape()  # leave insert mode: the rewind must bring it back
    sh.command("")  # Enter, and wait until the UI loop has handled it
    assert sh.buffer_text == "second question" and "INSERT" in sh.status
    assert [m["content"] for m in sh.app.session.messages] == ["first question", sh.app.session.messages[1]["content"]]
    assert sh.shell.buffer.cursor_position == len("second question")
    on_disk = transcript(sh.app.store.root / sh.app.session.id)
    assert any(r.get("type") == "rewind" for r in on_disk)


def test_rewind_undo_and_bad_arguments(sh):
    chat(sh, "q1", "q2")
    sh.command(":rewind 1")
    sh.wait_for(lambda: sh.app.session.messages == [] and sh.buffer_text == "q1", what="rewound")
    sh.type("\x03")  # clear the restored text
    sh.command(":rewind undo")
    sh.wait_for(lambda: len(sh.app.session.messages) == 4, what="undone")
    sh.command(":rewind 7")
    sh.wait_output("no turn 7 to rewind to (turns 1-2)")
    sh.command(":rewind sideways")
    sh.wait_output('bad argument "sideways": usage :rewind [N|undo]')


def test_rewind_picker_selection(sh):
    chat(sh, "alpha", "beta", "gamma")
    sh.command(":rewind")
    assert sh.shell.picker.active
    assert [c.label for c in sh.shell.picker.choices] == ["  1  alpha", "  2  beta", "  3  gamma"]
    sh.type("kk")  # the last turn is preselected; up twice
    sh.type("\r")
    sh.wait_for(lambda: sh.buffer_text == "alpha", what="picked turn 1")
    assert sh.app.session.messages == [] and not sh.shell.picker.active
    assert "INSERT" in sh.status


def test_rewind_picker_escape_cancels(sh):
    chat(sh, "alpha")
    sh.command(":rewind")
    assert sh.shell.picker.active
    sh.type("\x1b")
    sh.wait_for(lambda: not sh.shell.picker.active, what="picker closed")
    assert len(sh.app.session.messages) == 2
    sh.type("still typing")
    sh.wait_for(lambda: sh.buffer_text == "still typing", what="focus back on the prompt")


def test_escape_escape_on_empty_prompt_opens_rewind_picker(sh):
    chat(sh, "one", "two")
    sh.type("\x1b")  # from insert mode: to normal mode, and the first half of Esc Esc
    sh.sync()
    sh.type("\x1b")
    sh.wait_for(lambda: sh.shell.picker.active, what="picker")
    sh.type("\r")
    sh.wait_for(lambda: sh.buffer_text == "two", what="rewound to the last turn")
    assert "INSERT" in sh.status and len(sh.app.session.messages) == 2


def test_escape_escape_opens_the_picker_with_emacs_bindings_too(store, tmp_path):
    with ShellDriver(store, tmp_path, settings={"vim": False}) as driver:
        chat(driver, "one")
        driver.type("\x1b\x1b")
        driver.wait_for(lambda: driver.shell.picker.active, what="picker")
        assert "EMACS" in driver.status


def test_escape_escape_with_text_does_not_open_the_picker(sh):
    chat(sh, "one")
    sh.type("draft")
    sh.escape()
    sh.type("\x1b")
    sh.sync()
    sh.type("\x1b")
    sh.sync()
    assert not sh.shell.picker.active and sh.buffer_text == "draft"


def test_fork_switches_to_a_child_on_disk(sh):
    chat(sh, "fork me")
    parent = sh.app.session.id
    sh.command(":fork")
    child = sh.app.session.id
    assert child != parent
    sh.wait_output(f"forked {parent[:8]} → {child[:8]}")
    chat(sh, "only in the child")
    root = sh.app.store.root
    meta = json.loads((root / child / "meta.json").read_text())
    assert meta["parent_id"] == parent
    assert "only in the child" not in (root / parent / "transcript.jsonl").read_text()


def test_fork_of_empty_session_is_one_red_line(sh):
    sh.command(":fork")
    sh.wait_output("nothing to fork")


def test_sessions_picker_loads_the_picked_session(sh):
    chat(sh, "the old conversation")
    old = sh.app.session.id
    sh.command(":reset")
    assert sh.app.session.id != old
    sh.wait_output(f"new session {sh.app.session.id[:8]}")
    sh.command(":sessions")
    assert sh.shell.picker.active
    assert sh.shell.picker.choices[0].label.startswith(f"  {old[:8]}")  # no mark: not open anywhere
    sh.type("\r")
    sh.wait_for(lambda: sh.app.session.id == old, what="loaded")
    out = sh.wait_output("› the old conversation", count=2)
    assert f"session {old[:8]}" in out


def test_sessions_with_nothing_saved(sh):
    sh.command(":sessions")
    sh.wait_output("no other saved sessions")
    assert not sh.shell.picker.active


def test_load_and_delete_by_prefix(sh):
    chat(sh, "keep me")
    first = sh.app.session.id
    sh.command(":reset")
    chat(sh, "second")
    second = sh.app.session.id
    sh.command(f":load {first[:6]}")
    sh.wait_for(lambda: sh.app.session.id == first, what="load")
    sh.command(f":delete {second[:6]}")
    sh.wait_for(lambda: sh.shell.picker.active, what="the y/N question")
    assert sh.shell.picker.choices[0].label == "no, keep it"  # N is the default
    sh.type("\r")
    sh.wait_output("kept")
    assert (sh.app.store.root / second).exists()
    sh.command(f":delete {second[:6]}")
    sh.wait_for(lambda: sh.shell.picker.active, what="the y/N question")
    sh.type("y")
    sh.wait_output(f"deleted session {second[:8]}")
    assert not (sh.app.store.root / second).exists()
    sh.command(f":delete {first}")
    sh.wait_output("that is the session you are in")  # refused: it is the current session
    assert (sh.app.store.root / first).exists()
    sh.command(":load zzzz")
    sh.command(":load")
    out = sh.wait_output("usage: :load ID")
    assert "zzzz" in out.split("usage: :load ID")[0]


def test_reset_keeps_the_old_session_on_disk(sh):
    chat(sh, "before reset")
    old = sh.app.session.id
    sh.command(":reset")
    assert sh.app.session.id != old and sh.app.session.messages == []
    assert (sh.app.store.root / old / "transcript.jsonl").exists()
    ledger = (sh.app.store.root / old / "ledger.jsonl").read_text()
    assert "user_cancel_and_clear" in ledger


def test_cost_prints_a_table(sh):
    chat(sh, "count my tokens")
    sh.command(":cost")
    out = sh.wait_output("cache hits")
    for label in ("cost", "$0.0000", "input", "output", "total", "context"):
        assert label in out


def test_lua_command_prints_through_the_scrollback(sh):
    sh.command(":lua print(smelt.session.id())")
    sh.wait_output(sh.app.session.id)
    sh.command(":lua error('boom')")
    out = sh.wait_output("boom")
    assert [line for line in out.splitlines() if "boom" in line][0].count("boom") == 1
    sh.command(":lua")
    sh.wait_output("usage: :lua CODE")


def test_help_lists_commands(sh):
    sh.command(":help")
    out = sh.wait_output("Commands:")
    for name in ("rewind", "fork", "sessions", "load", "delete", "reset", "cost", "lua", "help", "quit", "set"):
        assert f":{name}" in out


def test_tab_completes_command_names_with_descriptions(sh):
    found = completions(sh.shell, ":re")
    assert set(found) == {"rewind", "reset", "retry", "reasoning"} and "new empty session" in found["reset"]
    assert set(completions(sh.shell, ":set ")) == {"vim", "novim"}
    assert completions(sh.shell, "hello :re") == {}
    sh.type(":fo")
    sh.sync()  # typed at human speed: the completion-while-typing has finished
    sh.type("\t")
    sh.wait_for(lambda: sh.buffer_text == ":fork", what="Tab completion")


def test_rewind_completion_offers_undo_only_when_there_is_something_to_undo(sh):
    chat(sh, "one")
    assert set(completions(sh.shell, ":rewind ")) == {"1"}
    sh.command(":rewind 1")
    assert "undo" in completions(sh.shell, ":rewind ")


def test_tab_completes_session_ids_for_load(sh):
    chat(sh, "a saved one")
    saved = sh.app.session.id
    sh.command(":reset")
    assert completions(sh.shell, ":load ", requested=True) == {saved[:8]: "a saved one"}
    assert completions(sh.shell, ":load ", requested=False) == {}


def test_help_lua_and_help_settings_print_the_tables(sh):
    from smelt_repl.lua.api_table import API
    from smelt_repl.settings import SETTINGS

    sh.command(":help lua")
    out = sh.wait_output("Events (smelt.events.on")
    for row in API:
        assert row.call in out, f"{row.call} missing from :help lua"
    sh.command(":help settings")
    out = sh.wait_output("Settings (smelt.settings.NAME")
    for setting in SETTINGS:
        assert f"  {setting.name} " in out and setting.doc in out, setting.name
    sh.command(":help colours")
    sh.wait_output('no help on "colours" (try :help, :help lua or :help settings)')
    sh.command(":help")
    sh.wait_output("More: :help lua (the Lua API) · :help settings")
