"""Changes of the current session never run under a turn that may still write.

A session change (rewind, undo, fork, reset, load) cancels the turn in flight and waits,
bounded by ``cancel_wait_s``, for it to end, then runs under the session lock that the turn's
writes take too, so no write of an old turn lands in a new history. A turn still running
after the bound is detached: its late writes are dropped. Asked for from the turn's own
thread (a Lua handler of ``turn_start`` or ``stream_delta``), a change cannot wait for the
turn it runs in: it is queued and carried out when the turn has ended, on that thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from smelt_repl.turn_handle import TurnHandle

log = logging.getLogger("smelt.app")
CANCEL_WAIT_S = 2.0  # how long a session change waits for the turn in flight to end

SessionChange = Callable[[], "tuple[str, dict] | None"]  # does the change; returns the event to fire
Emit = Callable[[str, dict], None]


class SessionGuard:
    """The session lock, the turn in flight, and the changes waiting for it to end."""

    def __init__(self, emit: Emit, report_error: Callable[[str], None]) -> None:
        self.lock = threading.RLock()
        self.turn: TurnHandle | None = None  # the turn in flight (or about to start)
        self.cancel_wait_s = CANCEL_WAIT_S
        self._emit = emit
        self._report_error = report_error
        self._deferred: list[SessionChange] = []

    def begin_turn(self, make: Callable[[], TurnHandle]) -> TurnHandle:
        """Make the handle of the next turn (under the lock) and make it the turn in flight."""
        with self.lock:
            turn = self.turn = make()
        return turn

    def end_turn(self, turn: TurnHandle) -> None:
        """``turn`` is over: no longer in flight; the changes it deferred run now."""
        turn.ended.set()
        with self.lock:
            if self.turn is turn:
                self.turn = None
        while self._deferred:
            change = self._deferred.pop(0)
            try:
                self.change(change)
            except Exception as exc:  # the handler that asked is long gone: report it here
                self._report_error(str(exc) or type(exc).__name__)

    def cancel_turn(self) -> None:
        """Cancel the turn in flight, if any, and wait (at most ``cancel_wait_s``, never on
        the turn's own thread) until its reply is written and on screen."""
        turn = self.turn
        if turn is not None:
            turn.cancel(self.cancel_wait_s)

    def change(self, change: SessionChange) -> None:
        """Run ``change`` with no turn writing meanwhile, then fire the event it returns;
        from a turn's own thread, once that turn has ended."""
        turn = self.turn
        if turn is not None and turn.on_its_thread() and not turn.ended.is_set():
            self._deferred.append(change)
            return
        if turn is not None:
            turn.cancel(self.cancel_wait_s)
        with self.lock:
            self.detach_unfinished_turn()
            event = change()
        if event is not None:
            self._emit(*event)

    def detach_unfinished_turn(self) -> None:
        """Called under the lock: a turn that has not ended yet writes nothing more."""
        turn = self.turn
        if turn is not None and not turn.ended.is_set():
            turn.detached = True
            log.warning("turn still running after %.1f s; its reply will not be saved", self.cancel_wait_s)
