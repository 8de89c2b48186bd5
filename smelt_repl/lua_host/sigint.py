"""Ctrl-C (SIGINT) while Lua runs on the main thread: stop the Lua, then deliver the signal.

Python raises KeyboardInterrupt at whatever bytecode runs next; inside a Lua → Python call
that surfaces as a Lua error with no message (or is swallowed by a script's ``pcall``). So
while Lua runs, SIGINT only asks the instruction hook to stop the script; once Lua has
unwound, the handler installed before gets the signal (Python's default one raises
KeyboardInterrupt, so ``--headless --lua`` exits 130).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any


class SigintGuard:
    """Context manager: route SIGINT to ``on_signal`` (main thread only; a no-op elsewhere)."""

    def __init__(self, on_signal: Callable[[], None]) -> None:
        self._on_signal = on_signal
        self._installed = False
        self._previous: Any = None
        self.caught = False

    def __enter__(self) -> SigintGuard:
        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.signal(signal.SIGINT, self._handle)
                self._installed = True
            except (ValueError, OSError):  # embedded interpreter without signal support
                pass
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    def deliver(self) -> None:
        """Pass a Ctrl-C caught while Lua ran on to the handler that was there before."""
        if not self.caught:
            return
        self.caught = False
        if callable(self._previous):
            self._previous(signal.SIGINT, None)
        elif self._previous == signal.SIG_DFL:
            raise KeyboardInterrupt

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.caught = True
        self._on_signal()
