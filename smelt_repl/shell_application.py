"""The prompt_toolkit Application of the shell, with Vim-like key-sequence timeouts."""

from __future__ import annotations

from prompt_toolkit.application import Application
from prompt_toolkit.enums import EditingMode
from prompt_toolkit.key_binding.vi_state import InputMode
from prompt_toolkit.keys import Keys

ESCAPE_DELAY = 0.05  # ttimeoutlen: how long a lone Escape byte waits for the rest of a sequence


class ShellApplication(Application[None]):
    """An Application whose key-sequence timeout is short for an Escape pending in vi insert
    mode, so Escape leaves insert mode at once although Alt-Enter (Escape, Enter) makes it a
    prefix, and Vim-like otherwise, so ``gg``, ``dd`` or an insert-mode ``jk`` keymap typed
    at human speed still work."""

    @property
    def timeoutlen(self) -> float | None:  # type: ignore[override]
        processor = getattr(self, "key_processor", None)
        pending = processor.key_buffer if processor is not None else []
        if (pending and pending[0].key == Keys.Escape and self.editing_mode == EditingMode.VI
                and self.vi_state.input_mode == InputMode.INSERT):
            return ESCAPE_DELAY
        return self._timeoutlen

    @timeoutlen.setter
    def timeoutlen(self, value: float | None) -> None:
        self._timeoutlen = value
