"""Vim's ``.``: repeat the last change made from normal mode (prompt_toolkit has no ``.``).

A change is what one normal-mode command did to the prompt, with its count and operator
(``3x``, ``dw``, ``cwfoo<Esc>``, ``p``): the keys of the first handler that left normal mode
or changed the text, through the return to normal mode, plus the count and operator keys
just before them. ``.`` feeds those keys again. Which keys each handler took is seen by
wrapping the key processor's ``_call_handler`` (prompt_toolkit offers no public hook with
the keys of a handler call).
"""

from __future__ import annotations

from typing import Any

from prompt_toolkit.application import Application
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.key_binding.key_processor import KeyPress
from prompt_toolkit.key_binding.vi_state import InputMode


class DotRepeat:
    """Records the last normal-mode change of ``buffer`` and replays it."""

    def __init__(self, application: Application, buffer: Buffer) -> None:
        self._app = application
        self._buffer = buffer
        self.last_change: list[KeyPress] = []
        self._recording: list[KeyPress] | None = None
        self._pending: list[KeyPress] = []  # a count or an operator waiting for its motion
        processor = application.key_processor
        call_handler = processor._call_handler  # noqa: SLF001 - see the module docstring

        def recorded_call(handler: Any, key_sequence: list[KeyPress]) -> None:
            mode, text = self._app.vi_state.input_mode, self._buffer.text
            call_handler(handler, key_sequence)
            if self._app.current_buffer is self._buffer:
                self._record(list(key_sequence), mode, text)

        processor._call_handler = recorded_call  # type: ignore[method-assign]

    def repeat(self, count: int = 1) -> None:
        """``.``: feed the last change again (``count`` times)."""
        if self.last_change:
            self._app.key_processor.feed_multiple(self.last_change * count, first=True)

    def _record(self, keys: list[KeyPress], mode_before: InputMode, text_before: str) -> None:
        mode = self._app.vi_state.input_mode
        if self._recording is not None:
            self._recording += keys
        elif mode_before == InputMode.NAVIGATION:
            if self._buffer.text != text_before or mode != InputMode.NAVIGATION:
                self._recording = self._pending + keys
            elif self._app.key_processor.arg is not None or self._app.vi_state.operator_func is not None:
                self._pending += keys
                return
        self._pending = []
        if self._recording is not None and mode == InputMode.NAVIGATION:
            self.last_change, self._recording = self._recording, None
