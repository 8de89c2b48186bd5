"""Ctrl-C while Lua runs: the two halves of turning a key press into a stopped script.

1. ``sigint_from_terminal``: the prompt keeps the terminal in raw mode, where Ctrl-C is an
   ordinary key that only the (now busy) event loop would read. While a Lua command, keymap
   or ``:lua`` chunk runs on the UI thread, the terminal delivers SIGINT again; a
   KeyboardInterrupt that comes out of the block is swallowed and reported. Python's plain
   SIGINT handler is put in place for the block, so the interrupt never reaches the handler
   ``asyncio.run`` installs (which would cancel the whole application).
2. ``SigintGuard`` (used by the Lua runtime around every outermost entry): Python raises
   KeyboardInterrupt at whatever bytecode runs next; inside a Lua → Python call that surfaces
   as a Lua error with no message (or is swallowed by a script's ``pcall``). So while Lua
   runs, SIGINT only asks the instruction hook to stop the script; once Lua has unwound, the
   handler installed before gets the signal (Python's default one raises KeyboardInterrupt,
   so ``--headless --lua`` exits 130).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


@contextmanager
def sigint_from_terminal(fd: int | None, on_interrupt: Callable[[], None]) -> Iterator[None]:
    """Within the block, Ctrl-C on terminal ``fd`` raises SIGINT; a KeyboardInterrupt that
    comes out of the block is swallowed and reported through ``on_interrupt``."""
    saved = _terminal_attrs(fd) if threading.current_thread() is threading.main_thread() else None
    previous_handler = None
    if saved is not None:
        import termios

        previous_handler = signal.signal(signal.SIGINT, signal.default_int_handler)
        attrs = list(saved)
        attrs[3] |= termios.ISIG
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
    try:
        yield
    except KeyboardInterrupt:
        on_interrupt()
    finally:
        if saved is not None:
            import termios

            try:
                termios.tcsetattr(fd, termios.TCSANOW, saved)
            except termios.error:
                pass
            signal.signal(signal.SIGINT, previous_handler)


def _terminal_attrs(fd: int | None) -> list | None:
    """The terminal attributes of ``fd``, or None when it is not a terminal."""
    if fd is None:
        return None
    try:
        import termios

        return termios.tcgetattr(fd)
    except Exception:  # no termios (Windows), not a tty, closed fd
        return None


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
