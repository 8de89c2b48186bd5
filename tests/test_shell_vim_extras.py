"""Editing as a Vim user expects it: cw, Ctrl-R redo, Ctrl-X Ctrl-E in $EDITOR, Ctrl-Z."""

from __future__ import annotations

from tests.shell_driver import sh  # noqa: F401 - the fixture


def test_cw_keeps_the_space_after_the_word(sh):
    sh.type("hello world foo")
    sh.escape()
    sh.type("0cwHI")
    sh.escape()
    assert sh.buffer_text == "HI world foo"
    sh.type("w2cwX")
    sh.escape()
    assert sh.buffer_text == "HI X"


def test_ctrl_r_in_normal_mode_redoes(sh):
    sh.type("some text")
    sh.escape()
    sh.type("u")
    sh.sync()
    undone = sh.buffer_text
    assert undone != "some text"
    sh.type("\x12")  # Ctrl-R
    sh.sync()
    assert sh.buffer_text == "some text" and "NORMAL" in sh.status  # redo, not a reverse search


def test_ctrl_x_ctrl_e_edits_the_prompt_in_the_editor(sh, tmp_path, monkeypatch):
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "%s and more from the editor" "$(cat "$1")" > "$1"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("VISUAL", str(editor))
    sh.type("draft")
    sh.type("\x18\x05")  # Ctrl-X Ctrl-E
    sh.wait_for(lambda: sh.buffer_text == "draft and more from the editor", what="the edited text")
    assert sh.app.session.messages == []  # back in the prompt, not sent


def test_ctrl_z_suspends_the_repl(sh, monkeypatch):
    """Ctrl-Z hands over to prompt_toolkit's suspend (SIGTSTP to the process group; the
    shell's ``fg`` resumes it). The signal itself is not sent here: in a test there is no job
    control to bring the process back."""
    suspended = []
    monkeypatch.setattr(sh.shell.application, "suspend_to_background", lambda: suspended.append(True))
    sh.type("\x1a")
    sh.sync()
    assert suspended == [True]


def after(sh, keys: str) -> str:
    """Type ``keys`` and return the prompt's text once the shell has handled them."""
    sh.type(keys)
    sh.sync()
    return sh.buffer_text


def test_dot_repeats_the_last_change(sh):
    sh.type("one two three four five")
    sh.escape()
    assert after(sh, "0dw") == "two three four five"
    assert after(sh, ".") == "three four five"
    sh.type("cwTRES")
    sh.escape()
    assert after(sh, "w.") == "TRES TRES five"
    assert after(sh, "02x") == "ES TRES five"
    assert after(sh, ".") == " TRES five"
