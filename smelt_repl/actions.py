"""The shell's named actions: what a key does, as operations on the prompt, turns and app.

Key bindings (``keybindings.py``) call these and nothing else; the actions call the core
(``App``, through commands and the turn runner), whose events and output come back to the
screen through the shell.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from smelt_repl.attachments import AttachmentError

if TYPE_CHECKING:
    from smelt_repl.shell import Shell

ESC_ESC_WINDOW = 0.6  # seconds between the two Escapes of "Esc Esc"
QUIT_WINDOW = 2.0  # seconds within which a second Ctrl-C on an empty prompt quits


class Actions:
    """Operations bound to keys."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self._last_normal_escape = 0.0
        self._last_quit_press = float("-inf")

    def submit(self) -> None:
        """Enter: run a command or send the message (``input_rule``: a likely typo of a
        command stays in the prompt with a hint); while the last turn only ends (its reply is
        printed or being cancelled) the message is queued and the prompt free."""
        from smelt_repl import commands  # not before the first frame: see interactive.py
        from smelt_repl.compaction import overflow_problem
        from smelt_repl.input_rule import CommandInput, LikelyTypo, classify

        shell, buffer = self.shell, self.shell.buffer
        if not buffer.text.strip():
            return
        kind = classify(buffer.text, commands.known_names(shell))
        if isinstance(kind, LikelyTypo):
            shell.print_error(kind.hint)
            return
        if isinstance(kind, CommandInput):
            buffer.reset(append_to_history=True)
            shell.run_command(kind.line)
            return
        text = kind.text
        runner = shell.runner
        if not runner.can_send:
            shell.hint("a message is already queued: Ctrl-C takes it back")
            return
        problem = overflow_problem(shell.app, text)
        if problem is not None:  # nothing is sent; the text stays in the prompt
            shell.print_error(problem)
            return
        try:
            attachments = shell.app.attach_files(text, shell.pending_attachments)
        except AttachmentError as exc:  # nothing is sent; the text stays in the prompt
            shell.print_error(str(exc))
            return
        shell.pending_attachments.clear()
        waits = runner.busy
        buffer.reset(append_to_history=True)
        shell.enter_vim_insert()
        shell.send_message(text, attachments)
        if waits:
            shell.hint("queued: sent when the reply ends · Ctrl-C or Esc takes it back")

    def newline(self) -> None:
        """Alt-Enter / Ctrl-J: a line break in the message."""
        self.shell.buffer.newline(copy_margin=False)

    def edit_in_editor(self) -> None:
        """Ctrl-X Ctrl-E: the prompt's text in $VISUAL / $EDITOR; the saved text comes back."""
        self.shell.buffer.open_in_editor(validate_and_handle=False)

    def redo(self) -> None:
        """Ctrl-R in normal mode: redo, as in Vim (reverse search keeps Ctrl-R in insert mode)."""
        self.shell.buffer.redo()

    def change_word(self, count: int) -> None:
        """``cw`` as Vim does it: on a word, change to its end and keep the space after it
        (``ce``); on blanks, change the blanks."""
        buffer = self.shell.buffer
        document = buffer.document
        if document.current_char.isspace() or not document.current_char:
            end = document.find_next_word_beginning(count=count) or len(document.text_after_cursor)
        else:
            end = document.find_next_word_ending(include_current_position=True, count=count) or 0
        buffer.delete(end)
        self.shell.enter_vim_insert()

    def repeat_last_change(self, count: int) -> None:
        """``.`` in normal mode: the last change again."""
        self.shell.dot_repeat.repeat(count)

    def suspend(self) -> None:
        """Ctrl-Z: suspend the REPL to the shell (``fg`` brings it back)."""
        self.shell.application.suspend_to_background()

    def interrupt(self) -> None:
        """Ctrl-C: stop Lua running on the turn's thread (an event handler), and close the
        picker; else take back a queued message; else cancel the reply; else clear the
        prompt; else, on an empty prompt, quit if pressed twice within ``QUIT_WINDOW``."""
        shell = self.shell
        if shell.host is not None and shell.host.running:
            shell.host.interrupt()
        if shell.picker.active:
            shell.picker.close()
        elif shell.runner.queued is not None:
            self.take_back_queued()
        elif shell.runner.busy:
            shell.runner.cancel()
        elif shell.buffer.text:
            shell.buffer.reset()
        elif time.monotonic() - self._last_quit_press <= QUIT_WINDOW:
            shell.quit()
        else:
            self._last_quit_press = time.monotonic()
            shell.hint("press Ctrl-C again to quit (or Ctrl-D)")

    def take_back_queued(self) -> None:
        """Ctrl-C or Esc while a message is queued: it is not sent; it comes back into an
        empty prompt (else Up finds it in the history)."""
        shell = self.shell
        queued = shell.runner.take_back_queued()
        if queued is None:
            return
        if not shell.buffer.text:
            shell.set_prompt_text(queued)
            shell.hint("not sent: the message is back in the prompt")
        else:
            shell.hint("not sent: Up brings the message back from the history")

    def start_command(self) -> None:
        """``:`` in normal mode: open the Vim command line (the draft stays as it is)."""
        self.shell.command_line.open()

    def end_of_input(self) -> None:
        """Ctrl-D on an empty prompt: leave (cancelling a reply in flight)."""
        self.shell.runner.cancel()
        self.shell.quit()

    def escape_on_empty_prompt(self) -> None:
        """Escape from vi insert mode (or with emacs bindings) on an empty prompt: what
        Escape does there, and the first half of Esc Esc (the rewind picker)."""
        shell = self.shell
        if shell.runner.queued is not None:
            self.take_back_queued()
            return
        shell.leave_vim_insert()
        self.escape_in_normal_mode()

    def escape_in_normal_mode(self) -> None:
        """Escape in normal mode on an empty prompt; the second within a moment opens the rewind picker."""
        now = time.monotonic()
        if now - self._last_normal_escape <= ESC_ESC_WINDOW:
            self._last_normal_escape = 0.0
            self.open_rewind_picker()
        else:
            self._last_normal_escape = now

    def open_rewind_picker(self) -> None:
        """Show the turns of the conversation to rewind to."""
        from smelt_repl import commands

        commands.open_rewind_picker(self.shell)
