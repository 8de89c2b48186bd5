"""A session put on screen: a separator naming it, one line saying how much is above, and its
last turns replayed (``replay_window``); for a resume, the replay comes right after the first
frame, before any key is handled (the rest of the transcript is replayed at the first need)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prompt_toolkit.key_binding.vi_state import InputMode

from smelt_repl import display
from smelt_repl.replay_window import hidden_note, tail_start

if TYPE_CHECKING:
    from smelt_repl.shell import Shell


def show_session(shell: Shell, messages: list[dict], reset_mode: bool = True) -> None:
    """Reset the prompt and picker (and with ``reset_mode`` the vim mode, to insert), then
    replay the tail of ``messages`` under a separator."""
    _reset(shell, reset_mode)
    start = tail_start(messages, _turns(shell))
    shell.scrollback.write(_header(shell, start) + _replayed(shell, messages, start))


def show_resumed(shell: Shell) -> None:
    """The session just resumed: its separator and the line on what is above it now, its
    tail right after the first frame (which needs no Markdown renderer); whatever keys do
    acts on the whole history (``Session.history`` replays it at the first need)."""
    _reset(shell, True)
    session = shell.app.session
    hidden = session.tail.unloaded + tail_start(session.tail.current.messages, _turns(shell))
    shell.scrollback.write(_header(shell, hidden))
    shell.application.skip_first_cursor_request()  # the tail's printing asks where the cursor is
    shell.application.after_first_frame(lambda: _show_tail(shell))


def _show_tail(shell: Shell) -> None:
    """Draw the end read so far; the rest of the transcript is replayed at the first need
    (``Session.history``: a turn, a rewind, ``:history``, Lua reading the messages)."""
    with shell.app.guard.lock:
        messages, unloaded = shell.app.session.tail.current.messages, shell.app.session.tail.unloaded
    start = tail_start(messages, _turns(shell))
    shell.scrollback.write(_replayed(shell, messages, start, unloaded))


def _reset(shell: Shell, reset_mode: bool) -> None:
    def reset() -> None:
        shell.picker.close()
        shell.buffer.reset()
        if reset_mode:
            shell.application.vi_state.input_mode = InputMode.INSERT
    shell.on_ui(reset)


def _turns(shell: Shell) -> int:
    return shell.app.settings.get("replay_turns") or 0


def _header(shell: Shell, hidden: int) -> str:
    label = f"session {shell.app.session.id[:8]}"
    above = display.dim_line(hidden_note(hidden), shell.color) if hidden else ""
    return display.separator(shell.width(), shell.color, label) + above


def _replayed(shell: Shell, messages: list[dict], start: int, offset: int = 0) -> str:
    """The replay of ``messages`` from ``start`` (``offset`` more messages come before them)."""
    shell.shown_from = offset + start
    return display.replay(messages[start:], shell.width(), shell.color)
