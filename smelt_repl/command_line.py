"""The Vim command line: ``:`` in normal mode opens a one-line command line under the prompt,
so a command runs without touching the draft. Enter runs it, Esc (or Ctrl-C, or erasing the
``:``) closes it; either way the prompt comes back in normal mode with its draft as it was.
"""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.buffer import Buffer
from prompt_toolkit.completion import Completer
from prompt_toolkit.document import Document
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.keys import Keys


class CommandLine:
    """The state of the command line: open or not, and what is typed in it (``:`` first)."""

    def __init__(self, completer: Completer, on_open: Callable[[], None], on_close: Callable[[], None],
                 run: Callable[[str], None]) -> None:
        self.buffer = Buffer(multiline=False, completer=completer, complete_while_typing=True,
                             on_text_changed=self._closed_when_emptied)
        self.active = False
        self._on_open, self._on_close, self._run = on_open, on_close, run

    def open(self) -> None:
        """Show the command line with a ``:`` typed and take the focus."""
        self.buffer.document = Document(":", 1)
        self.active = True
        self._on_open()

    def close(self) -> None:
        """Hide it and give the focus back to the prompt."""
        if self.active:
            self.active = False
            self.buffer.reset()
            self._on_close()

    def accept(self) -> None:
        """Enter: close, then run what was typed."""
        line = self.buffer.text
        self.close()
        if line.strip(":").strip():
            self._run(line)

    def _closed_when_emptied(self, buffer: Buffer) -> None:
        if self.active and not buffer.text:  # Backspace over the ":" leaves, as in Vim
            self.close()


def command_line_bindings(command_line: CommandLine) -> KeyBindings:
    """Keys of the open command line (bound to its window, so they win while it has focus)."""
    kb = KeyBindings()
    kb.add(Keys.Enter)(lambda event: command_line.accept())
    for key in (Keys.Escape, Keys.ControlC):
        kb.add(key, eager=True)(lambda event: command_line.close())
    return kb
