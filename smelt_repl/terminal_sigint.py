"""Letting Ctrl-C stop Lua code that runs on the UI thread.

The prompt keeps the terminal in raw mode, where Ctrl-C is an ordinary key that only the
(now busy) event loop would read. While a Lua command, keymap or ``:lua`` chunk runs, the
terminal delivers SIGINT again; the Lua host turns it into an interrupt of the script and
re-raises KeyboardInterrupt once Lua has unwound, which the caller swallows. Python's
plain SIGINT handler is put in place for the block, so the interrupt never reaches the
handler ``asyncio.run`` installs (which would cancel the whole application).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


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
