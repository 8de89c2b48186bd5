"""SIGTERM and SIGHUP (``kill``, a closed terminal) end a turn the way Ctrl-C does.

The partial reply is saved, marked cancelled, with its usage; then the program exits with
128 + the signal's number (143, 129). Headless, the turn runs on the main thread, where the
signal handler raises ``TerminationSignal`` — a KeyboardInterrupt, so every path that
already treats Ctrl-C as a cancel treats it the same. The REPL does not use this module's
handler: its event loop turns the signals into a cancel and a quit (``Shell.stop_on``).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class TerminationSignal(KeyboardInterrupt):
    """A SIGTERM or SIGHUP arrived; ``exit_code`` is the conventional 128 + signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + the signal's number."""
        return exit_code_for(self.signum)


def exit_code_for(signum: int) -> int:
    """The exit code of a program ended by signal ``signum`` (143 for SIGTERM, 129 for SIGHUP)."""
    return 128 + signum


class Received:
    """The stop signal that arrived within a ``raising_on_stop_signals`` block, if any."""

    signum: int | None = None


@contextmanager
def raising_on_stop_signals() -> Iterator[Received]:
    """Within the block (main thread only), SIGTERM and SIGHUP raise TerminationSignal."""
    received = Received()
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        received.signum = signum
        raise TerminationSignal(signum)

    previous = {signum: signal.signal(signum, handle) for signum in STOP_SIGNALS}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
