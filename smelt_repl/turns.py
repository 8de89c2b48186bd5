"""Running a chat turn on a worker thread and streaming its reply into the scrollback.

``App.send`` blocks until the reply is complete, so it runs on its own thread; the UI
thread stays free for typing and for Ctrl-C. Each delta goes through a ``StreamRenderer``
and every completed line is printed at once; the unfinished last line, the ``[cancelled]``
marker and any error line follow when the turn ends.
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
    from smelt_repl.render import StreamRenderer

IDLE, WAITING, STREAMING, CANCELLING = "idle", "waiting", "streaming", "cancelling"


class TurnRunner:
    """One turn at a time: start it, watch its phase, cancel it."""

    def __init__(self, app: App, scrollback: Scrollback, width: Callable[[], int], color: bool,
                 on_change: Callable[[], None]) -> None:
        self.app = app
        self.scrollback = scrollback
        self.width = width
        self.color = color
        self.on_change = on_change
        self.phase = IDLE
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        """True from ``start`` until the reply is fully printed."""
        return self.phase != IDLE

    def start(self, text: str) -> bool:
        """Echo ``text`` and send it on a worker thread; False (nothing done) while busy."""
        if self.busy:
            return False
        self.scrollback.write(display.user_echo(text, self.color))
        self.phase = WAITING
        self._thread = threading.Thread(target=self._run, args=(text,), name="smelt-turn", daemon=True)
        self._thread.start()
        self.on_change()
        return True

    def cancel(self) -> None:
        """Ask the turn in flight to stop; returns at once (the worker finishes the turn)."""
        if self.phase in (WAITING, STREAMING):
            self.phase = CANCELLING
            threading.Thread(target=self._cancel_until_stopped, name="smelt-cancel", daemon=True).start()
            self.on_change()

    def _cancel_until_stopped(self) -> None:
        # App.cancel_turn is a no-op until the engine has begun the turn: retry until it ends.
        while self.phase == CANCELLING:
            self.app.cancel_turn()
            time.sleep(0.01)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker to finish; True when no turn is running any more."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.busy

    def _run(self, text: str) -> None:
        from smelt_repl.render import StreamRenderer

        renderer = StreamRenderer(self.width(), self.color)
        trailer = ""
        try:
            result = self.app.send(text, lambda delta: self._on_delta(renderer, delta))
            record = {"cancelled": result.cancelled, "error": result.error}
            if result.interrupted:
                record["cancelled"] = True
            trailer = display.reply_trailer(record, self.color)
        except Exception as exc:  # ConfigError and friends: nothing was sent
            trailer = display.error_line(str(exc) or type(exc).__name__, self.color)
        finally:
            self.scrollback.write(renderer.finish() + trailer)
            self.phase = IDLE
            self.on_change()

    def _on_delta(self, renderer: StreamRenderer, delta: str) -> None:
        if self.phase == WAITING:
            self.phase = STREAMING
            self.on_change()
        lines = renderer.feed(delta)
        if lines:
            self.scrollback.write(lines)
