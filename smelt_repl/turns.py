"""Running chat turns on a worker thread and streaming their replies into the scrollback.

``App.send`` blocks until the reply is complete, so it runs on its own thread; the UI
thread stays free for typing and for Ctrl-C. Each delta goes through a ``StreamRenderer``
and every completed line is printed at once. When the engine has stopped (``on_end``,
before ``turn_end`` handlers run) the unfinished last line, the ``[cancelled]`` marker and
any error line are printed, so the reply is whole before anything else appears.

A turn ends in two steps: its reply is printed (``ENDING``: the engine is done, its
``turn_end`` handlers may still run), then the worker is free (``IDLE``). A message sent
while a turn is ending is queued and sent by the same worker right after, so its echo
always follows the previous reply.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from smelt_repl import display
from smelt_repl.scrollback import Scrollback

if TYPE_CHECKING:
    from smelt_repl.app import App
    from smelt_repl.engine import TurnResult
    from smelt_repl.render import StreamRenderer

IDLE, WAITING, STREAMING, CANCELLING, ENDING = "idle", "waiting", "streaming", "cancelling", "ending"
STOP_WAIT_S = 5.0  # how long ``stop`` waits for a cancelled reply to be printed


class _Turn:
    """One message on its way, as seen from the UI thread and the worker."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.engine_done = False  # cancelling the engine any more could hit the next turn
        self.printed = threading.Event()  # the reply and its marker/error line are printed
        self.silenced = False  # the screen moved on (a replay): the rest of its output is dropped


class TurnRunner:
    """One turn at a time (plus one queued message): start it, watch its phase, cancel it."""

    def __init__(self, app: App, scrollback: Scrollback, width: Callable[[], int], color: bool,
                 on_change: Callable[[], None]) -> None:
        self.app = app
        self.scrollback = scrollback
        self.width = width
        self.color = color
        self.on_change = on_change
        self.phase = IDLE
        self._lock = threading.Lock()
        self._turn: _Turn | None = None
        self._queued: str | None = None
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        """True from ``start`` until the worker is free (replies printed, handlers done)."""
        return self.phase != IDLE

    @property
    def streaming(self) -> bool:
        """True while a reply is on its way (waiting for it or printing it)."""
        return self.phase in (WAITING, STREAMING)

    @property
    def can_send(self) -> bool:
        """True when ``start`` would take a message: nothing streams and none is queued."""
        return not self.streaming and self._queued is None

    def start(self, text: str) -> bool:
        """Send ``text`` on the worker thread; while a turn is ending (cancelled, or its
        ``turn_end`` handlers run) it is queued and sent right after. False (nothing done)
        while a reply streams or another message is queued."""
        with self._lock:
            if not self.can_send:
                return False
            if self.phase != IDLE:
                self._queued = text
                return True
            self.phase = WAITING
            self._turn = turn = _Turn(text)
            self._thread = thread = threading.Thread(target=self._work, args=(turn,), name="smelt-turn",
                                                     daemon=True)
        thread.start()
        self.on_change()
        return True

    def cancel(self) -> str | None:
        """Ask the reply in flight to stop and drop the queued message; returns at once
        (the worker prints the end of the reply) with the dropped message, if any."""
        with self._lock:
            queued, self._queued = self._queued, None
            turn = self._turn
            if turn is None or not self.streaming:
                return queued
            self.phase = CANCELLING
        threading.Thread(target=self._cancel_until_stopped, args=(turn,), name="smelt-cancel",
                         daemon=True).start()
        self.on_change()
        return queued

    def stop(self, timeout: float = STOP_WAIT_S) -> None:
        """Cancel like ``cancel``, then return once the reply is completely printed, so what
        the caller prints next (a replay) comes after it. Output of the turn that would come
        later (after ``timeout``, or when called by a handler on the worker, which cannot
        wait for itself) is dropped. Never waits on ``turn_end`` handlers."""
        self.cancel()
        turn = self._turn
        if turn is None:
            return
        if threading.current_thread() is not self._thread:
            turn.printed.wait(timeout)
        turn.silenced = True

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker to finish; True when no turn is running any more."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        return not self.busy

    # -- the worker ------------------------------------------------------------------------

    def _cancel_until_stopped(self, turn: _Turn) -> None:
        # Cancelling the engine is a no-op until it has begun the turn: retry until it ends.
        while True:
            with self._lock:
                if turn.engine_done:
                    return
                self.app.engine.cancel(wait=0)
            time.sleep(0.01)

    def _work(self, turn: _Turn | None) -> None:
        while turn is not None:
            self._run(turn)
            with self._lock:
                text, self._queued = self._queued, None
                turn = self._turn = _Turn(text) if text is not None else None
                self.phase = WAITING if turn is not None else IDLE
            self.on_change()

    def _run(self, turn: _Turn) -> None:
        from smelt_repl.render import StreamRenderer

        renderer = StreamRenderer(self.width(), self.color)
        self._print(turn, display.user_echo(turn.text, self.color))
        try:
            self.app.send(turn.text, lambda delta: self._on_delta(turn, renderer, delta),
                          lambda result: self._finish(turn, renderer, self._trailer(result)))
        except Exception as exc:  # ConfigError and friends: nothing was sent
            error = display.error_line(str(exc) or type(exc).__name__, self.color)
            self._finish(turn, renderer, error)
        if not turn.printed.is_set():
            self._finish(turn, renderer, "")

    def _trailer(self, result: TurnResult) -> str:
        record = {"cancelled": result.cancelled or result.interrupted, "error": result.error}
        return display.reply_trailer(record, self.color)

    def _finish(self, turn: _Turn, renderer: StreamRenderer, trailer: str) -> None:
        """Print the end of the reply (its last line once) and what follows it."""
        with self._lock:
            turn.engine_done = True
            first = not turn.printed.is_set()
            self.phase = ENDING
        self._print(turn, (renderer.finish() if first else "") + trailer)
        turn.printed.set()
        self.on_change()

    def _on_delta(self, turn: _Turn, renderer: StreamRenderer, delta: str) -> None:
        if self.phase == WAITING:
            with self._lock:
                if self.phase == WAITING:
                    self.phase = STREAMING
            self.on_change()
        self._print(turn, renderer.feed(delta))

    def _print(self, turn: _Turn, text: str) -> None:
        if text and not turn.silenced:
            self.scrollback.write(text)
