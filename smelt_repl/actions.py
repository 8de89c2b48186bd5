"""The shell's named actions: what a key does, as operations on the prompt, turns and app.

Key bindings (``keybindings.py``) call these and nothing else; the actions call the core
(``App``, through commands and the turn runner), whose events and output come back to the
screen through the shell.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from smelt_repl import commands
from smelt_repl.input_rule import CommandInput, LikelyTypo, classify

if TYPE_CHECKING:
    from smelt_repl.shell import Shell

ESC_ESC_WINDOW = 0.6  # seconds between the two Escapes of "Esc Esc"


class Actions:
    """Operations bound to keys."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self._last_normal_escape = 0.0

    def submit(self) -> None:
        """Enter: run a command or send the message (``input_rule``: a likely typo of a
        command stays in the prompt with a hint); while the last turn only ends (its reply is
        printed or being cancelled) the message is queued and the prompt free."""
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
        if not runner.can_send:  # a turn that is only ending takes the message, to send next
            shell.hint("a reply is still streaming: Ctrl-C cancels it" if runner.streaming
                       else "a message is already waiting to be sent")
            return
        waits = runner.busy
        buffer.reset(append_to_history=True)
        shell.enter_vim_insert()
        shell.send_message(text)
        if waits:
            shell.hint("sending once the last reply has ended")

    def newline(self) -> None:
        """Alt-Enter / Ctrl-J: a line break in the message."""
        self.shell.buffer.newline(copy_margin=False)

    def interrupt(self) -> None:
        """Ctrl-C: stop Lua running on the turn's thread (an event handler), and close the
        picker, else cancel the reply (a queued message comes back into an empty prompt),
        else clear the prompt, else exit."""
        shell = self.shell
        if shell.host is not None and shell.host.running:
            shell.host.interrupt()
        if shell.picker.active:
            shell.picker.close()
        elif shell.runner.busy:
            queued = shell.runner.cancel()
            if queued is not None and not shell.buffer.text:
                shell.set_prompt_text(queued)
                shell.hint("not sent: the message is back in the prompt")
            elif queued is not None:
                shell.hint("not sent: Up brings the message back from the history")
        elif shell.buffer.text:
            shell.buffer.reset()
        else:
            shell.quit()

    def start_command(self) -> None:
        """``:`` in normal mode: open the Vim command line (the draft stays as it is)."""
        self.shell.command_line.open()

    def end_of_input(self) -> None:
        """Ctrl-D on an empty prompt: leave (cancelling a reply in flight)."""
        self.shell.runner.cancel()
        self.shell.quit()

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
        commands.open_rewind_picker(self.shell)
