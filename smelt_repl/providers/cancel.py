"""A turn's cancel signal: an event that also runs callbacks the moment it is set.

It has ``threading.Event``'s ``set`` / ``is_set`` / ``wait``, so a provider may treat it as
one; ``on_cancel`` lets a provider close its HTTP response at once, so a read blocked on a
silent server ends now instead of at the read timeout.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("smelt.providers")


class CancelToken:
    """Set once, from any thread; callbacks registered with ``on_cancel`` run on that thread."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def set(self) -> None:
        """Cancel: wake every waiter and run the registered callbacks (each at most once)."""
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            _run(callback)

    def is_set(self) -> bool:
        """True once cancelled."""
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled or ``timeout`` passes; True when cancelled."""
        return self._event.wait(timeout)

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run ``callback`` when cancelled (at once if already); returns a function that
        unregisters it (call it when what it would close is closed anyway)."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return lambda: self._forget(callback)
        _run(callback)
        return lambda: None

    def _forget(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)


def _run(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:  # closing a response that is already gone, say: never the canceller's problem
        log.debug("cancel callback failed", exc_info=True)
