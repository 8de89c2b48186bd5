"""The prompt: vim modes and editing, Enter/newline keys, emacs mode, history, exit keys."""

from __future__ import annotations

import time

from tests.shell_driver import ShellDriver, sh  # noqa: F401 - the fixture


def user_messages(app) -> list[str]:
    return [m["content"] for m in app.session.messages if m["role"] == "user"]


def test_starts_in_insert_mode_and_escape_shows_normal(sh):
    assert "INSERT" in sh.status
    sh.type("abc")
    sh.escape()
    assert "NORMAL" in sh.status and "INSERT" not in sh.status
    sh.type("i")
    sh.wait_for(lambda: "INSERT" in sh.status, what="INSERT again")


def test_escape_is_quick(sh):
    sh.type("abc")
    started = time.monotonic()
    sh.escape()
    assert time.monotonic() - started < 0.5


def test_normal_mode_motions_and_operators_edit_the_buffer(sh):
    sh.type("hello big world")
    sh.escape()
    sh.type("0dw")
    sh.wait_for(lambda: sh.buffer_text == "big world", what="dw")
    sh.type("x")
    sh.wait_for(lambda: sh.buffer_text == "ig world", what="x")
    sh.type("wD")
    sh.wait_for(lambda: sh.buffer_text == "ig ", what="wD")
    sh.type("u")
    sh.wait_for(lambda: sh.buffer_text == "ig world", what="undo")
    sh.type("0cebig")  # prompt_toolkit's cw also eats the space; ce is Vim's cw
    sh.escape()
    assert sh.buffer_text == "big world"


def test_enter_sends_from_insert_mode(sh):
    sh.submit("first message")
    sh.wait_output("Offline mode")
    assert user_messages(sh.app) == ["first message"]
    assert "› first message" in sh.output
    assert sh.buffer_text == ""


def test_enter_sends_from_normal_mode_and_returns_to_insert(sh):
    sh.type("from normal")
    sh.escape()
    sh.type("\r")
    sh.wait_for(lambda: user_messages(sh.app) == ["from normal"], what="sent")
    sh.wait_idle()
    assert "INSERT" in sh.status


def test_ctrl_j_and_alt_enter_insert_newlines(sh):
    sh.type("one\ntwo\x1b\rthree")
    sh.wait_for(lambda: sh.buffer_text == "one\ntwo\nthree", what="newlines")
    assert sh.app.session.messages == []
    sh.type("\r")
    sh.wait_for(lambda: user_messages(sh.app) == ["one\ntwo\nthree"], what="multi-line send")
    sh.wait_idle()
    assert "› one\n  two\n  three\n" in sh.output


def test_empty_prompt_enter_sends_nothing(sh):
    sh.type("   \r")
    sh.sync()
    assert sh.app.session.messages == [] and not sh.app.session.persisted


def test_set_novim_switches_to_emacs_and_back(sh):
    sh.command(":set novim")
    sh.wait_for(lambda: "EMACS" in sh.status, what="EMACS")
    assert sh.app.settings["vim"] is False
    sh.type("world\x01hello \x05!")  # Ctrl-A home, Ctrl-E end
    sh.wait_for(lambda: sh.buffer_text == "hello world!", what="emacs editing")
    sh.type("\x1b")
    sh.sync()
    assert "EMACS" in sh.status
    sh.type("\x15")  # Ctrl-U clears the line
    sh.command(":set vim")
    sh.wait_for(lambda: "INSERT" in sh.status, what="vim again")
    assert sh.app.settings["vim"] is True


def test_vim_setting_false_starts_in_emacs(store, tmp_path):
    with ShellDriver(store, tmp_path, settings={"vim": False}) as driver:
        driver.wait_for(lambda: "EMACS" in driver.status, what="EMACS")


def test_history_is_per_project_and_on_disk(store, tmp_path, xdg):
    project = tmp_path / "p1"
    project.mkdir()
    with ShellDriver(store, project) as driver:
        driver.submit("remember this")
        driver.command(":cost")
    files = list((xdg["state"] / "smelt" / "history").iterdir())
    assert len(files) == 1 and "remember this" in files[0].read_text()
    with ShellDriver(store, project) as driver:
        driver.type("\x1b[A")  # Up
        driver.wait_for(lambda: driver.buffer_text == ":cost", what="history up")
        driver.type("\x1b[A")
        driver.wait_for(lambda: driver.buffer_text == "remember this", what="history up twice")
    other = tmp_path / "p2"
    other.mkdir()
    with ShellDriver(store, other) as driver:
        driver.type("\x1b[A")
        driver.sync()
        assert driver.buffer_text == ""


def test_ctrl_c_clears_then_asks_then_exits(sh):
    sh.type("some text\x03")
    sh.wait_for(lambda: sh.buffer_text == "", what="cleared")
    sh.type("\x03")
    sh.wait_for(lambda: "press Ctrl-C again to quit" in sh.status, what="the hint")
    assert not sh.exited(0.1)
    sh.type("\x03")
    assert sh.exited()


def test_ctrl_d_exits_only_on_empty_prompt(sh):
    sh.type("ab\x04")
    sh.sync()
    assert not sh.exited(0.2)
    sh.type("\x03")  # clear the line
    sh.wait_for(lambda: sh.buffer_text == "", what="cleared")
    sh.type("\x04")
    assert sh.exited()


def test_quit_commands_exit(sh):
    sh.command(":q")
    assert sh.exited()
