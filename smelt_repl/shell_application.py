"""The prompt_toolkit Application of the shell, with Vim-like key-sequence timeouts and work
deferred until its first frame is drawn."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from prompt_toolkit.application import Application
from prompt_toolkit.enums import EditingMode
from prompt_toolkit.key_binding.vi_state import InputMode
from prompt_toolkit.keys import Keys

ESCAPE_DELAY = 0.05  # ttimeoutlen: how long a lone Escape byte waits for the rest of a sequence

log = logging.getLogger("smelt.shell")


class ShellApplication(Application[None]):
    """An Application whose key-sequence timeout is short for an Escape pending in vi insert
    mode, so Escape leaves insert mode at once although Alt-Enter (Escape, Enter) makes it a
    prefix, and Vim-like otherwise, so ``gg``, ``dd`` or an insert-mode ``jk`` keymap typed
    at human speed still work."""

    _skip_cursor_request = False  # set by skip_first_cursor_request

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

    def skip_first_cursor_request(self) -> None:
        """Draw the first frame without asking the terminal where the cursor is: for a frame
        that text printed right after it moves (a resumed session's turns), whose printing
        asks again. The answer to the first question would be out of date, and waiting for it
        (its reading is the first key the application handles, which builds the key bindings'
        caches) held that text back by ~10 ms."""
        self._skip_cursor_request = True

    def _request_absolute_cursor_position(self) -> None:
        if self._skip_cursor_request:
            self._skip_cursor_request = False
            return
        super()._request_absolute_cursor_position()

    def after_first_frame(self, work: Callable[[], None]) -> None:
        """Run ``work`` on the event loop of the next ``run`` right after its first frame is
        drawn and before any key typed meanwhile is handled (keys wait in the terminal's input).

        Why it holds: ``run`` calls its pre-run callables, then draws the first frame
        synchronously, then awaits; ``work`` is queued with ``call_soon`` from a pre-run
        callable, so the loop's first turn runs it ahead of the terminal's reader callback,
        which the selector can only queue after it. An error in ``work`` is logged."""
        guarded = logged(work)
        self.pre_run_callables.append(lambda: asyncio.get_running_loop().call_soon(guarded))


def logged(work: Callable[[], None]) -> Callable[[], None]:
    """``work`` with an error in it logged (start-up work: the prompt lives on)."""
    def guarded() -> None:
        try:
            work()
        except Exception:
            log.exception("start-up work after the first frame failed")

    return guarded
