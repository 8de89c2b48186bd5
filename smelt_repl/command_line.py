"""The Vim command line: ``:`` in normal mode opens a one-line command line under the prompt,
so a command runs without touching the draft. Enter runs it, Esc (or Ctrl-C, or erasing the
``:``) closes it; either way the prompt comes back in normal mode with its draft as it was.

The same line asks a script's questions (``smelt.ui.dialog.open`` input panels): ``ask``
shows a label before it, Enter answers, Esc dismisses.
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
        self.prefix = ""  # the question's label while asking
        self._question: tuple[Callable[[str], None], Callable[[], None]] | None = None
        self._on_open, self._on_close, self._run = on_open, on_close, run

    def open(self) -> None:
        """Show the command line with a ``:`` typed and take the focus."""
        self.buffer.document = Document(":", 1)
        self.active = True
        self._on_open()

    def ask(self, label: str, on_answer: Callable[[str], None], on_dismiss: Callable[[], None]) -> None:
        """Show ``label`` and an empty line; Enter calls ``on_answer(text)``, Esc ``on_dismiss``."""
        self.prefix = f"{label}: " if label else "? "
        self._question = (on_answer, on_dismiss)
        self.buffer.document = Document("", 0)
        self.active = True
        self._on_open()

    def close(self) -> None:
        """Hide it and give the focus back to the prompt (a pending question is dismissed)."""
        if self.active:
            question, self._question = self._question, None
            self.active, self.prefix = False, ""
            self.buffer.reset()
            self._on_close()
            if question is not None:
                question[1]()

    def accept(self) -> None:
        """Enter: close, then run what was typed (or answer the question)."""
        line = self.buffer.text
        question, self._question = self._question, None
        self.close()
        if question is not None:
            question[0](line)
        elif line.strip(":").strip():
            self._run(line)

    def _closed_when_emptied(self, buffer: Buffer) -> None:
        if self.active and not buffer.text and self._question is None:  # Backspace over the ":"
            self.close()


def command_line_bindings(command_line: CommandLine) -> KeyBindings:
    """Keys of the open command line (bound to its window, so they win while it has focus)."""
    kb = KeyBindings()
    kb.add(Keys.Enter)(lambda event: command_line.accept())
    for key in (Keys.Escape, Keys.ControlC):
        kb.add(key, eager=True)(lambda event: command_line.close())
    return kb
