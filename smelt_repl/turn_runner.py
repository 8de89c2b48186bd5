"""Running chat turns on a worker thread and streaming their replies into the scrollback.

``App.run_turn`` blocks until the reply is complete, so it runs on a worker thread; the UI
thread stays free for typing and for Ctrl-C. The runner makes each turn's handle
(``App.new_turn``) on the UI thread as the message is sent, so a Ctrl-C that follows at
once finds a turn to cancel, whatever the worker has got to. Each delta goes through a
``StreamRenderer`` and every completed line is printed at once, wrapped to the terminal's
width at that moment (lines already printed stay as they are after a resize). When the
engine has stopped (``on_end``, before the handle is ``ended`` and ``turn_end`` handlers
run) the unfinished last line, the ``[cancelled]`` marker and any error line are printed, so
the reply is whole before anything else appears.

A turn ends in two steps: its reply is printed (``ENDING``: the turn has ended, its
``turn_end`` handlers may still run), then the worker is free (``IDLE``). A message sent
while a turn streams or ends is queued (one at a time) and sent by the same worker right
after, so its echo always follows the previous reply; ``take_back_queued`` returns it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from smelt_repl import display
from smelt_repl.scrollback import Scrollback

if TYPE_CHECKING:
    from smelt_repl.app import App
    from smelt_repl.render import StreamRenderer
    from smelt_repl.turn_handle import TurnHandle, TurnResult

IDLE, WAITING, STREAMING, CANCELLING, ENDING = "idle", "waiting", "streaming", "cancelling", "ending"


class _Turn:
    """One message on its way: its text and the App's handle of the turn (or a compaction:
    its ``job`` runs on the handle instead, and returns the line to print)."""

    def __init__(self, text: str, handle: TurnHandle, job: Callable[[], tuple[str, bool]] | None = None) -> None:
        self.text = text
        self.handle = handle
        self.job = job
        self.printed = threading.Event()  # the reply and its marker/error line are printed


class TurnRunner:
    """One turn at a time (plus one queued message): start it, watch its phase, cancel it."""

    def __init__(self, app: App, scrollback: Scrollback, width: Callable[[], int], color: bool,
                 on_change: Callable[[], None], on_taken_back: Callable[[str], None] | None = None) -> None:
        """``on_taken_back(text)`` gets the message of a turn that failed before any reply
        text and was taken back out of the history (``App.take_back_failed_turn``)."""
        self.app = app
        self.on_taken_back = on_taken_back
        self.scrollback = scrollback
        self.width = width
        self.color = color
        self.on_change = on_change
        self.phase = IDLE
        self._lock = threading.Lock()
        self._turn: _Turn | None = None
        self._queued: str | None = None
        self._queued_attachments: list[dict] | None = None
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
        """True when ``start`` would take a message: no other message is queued."""
        return self._queued is None

    @property
    def queued(self) -> str | None:
        """The message waiting for the turn in flight to end, if any."""
        return self._queued

    def take_back_queued(self) -> str | None:
        """Unqueue the waiting message (it is not sent) and return it."""
        with self._lock:
            queued, self._queued = self._queued, None
        self.on_change()
        return queued

    def start(self, text: str, attachments: list[dict] | None = None) -> bool:
        """Send ``text`` (with the ``attachments`` references) on the worker thread; while a
        turn streams or ends it is queued and sent right after. False (nothing done) while
        another message is queued."""
        with self._lock:
            if not self.can_send:
                return False
            if self.phase != IDLE:
                self._queued, self._queued_attachments = text, attachments
                return True
            self.phase = WAITING
            self._start(_Turn(text, self._new_handle(text, attachments)))
        self.on_change()
        return True

    def start_compaction(self, guidance: str = "") -> bool:
        """``:compact``: summarise the older turns on the worker, as a turn (spinner, Ctrl-C
        cancels); False (nothing done) while a turn is running or a message is queued."""
        from smelt_repl import compaction

        with self._lock:
            if self.phase != IDLE or not self.can_send:
                return False
            self.phase = WAITING
            handle = compaction.new_compaction(self.app)

            def job() -> tuple[str, bool]:
                outcome = compaction.run_compaction(self.app, handle, guidance)
                return outcome.line, outcome.error

            self._start(_Turn("", handle, job))
        self.on_change()
        return True

    def _start(self, turn: _Turn) -> None:
        """Called under the lock: run ``turn`` (and the messages queued after it) on a worker."""
        self._turn = turn
        self._thread = thread = threading.Thread(target=self._work, args=(turn,), name="smelt-turn", daemon=True)
        thread.start()

    def _new_handle(self, text: str, attachments: list[dict] | None) -> TurnHandle:
        """The App's handle of a turn of ``text``; with auto_compact on, it compacts first."""
        from smelt_repl import compaction

        handle = self.app.new_turn(text, attachments)
        handle.before_send = compaction.auto_compaction(self.app, lambda outcome: self._print_outcome(
            handle, outcome.line, outcome.error))
        return handle

    def cancel(self) -> str | None:
        """Cancel the reply in flight and drop the queued message; returns at once (the
        worker prints the end of the reply) with the dropped message, if any."""
        with self._lock:
            queued, self._queued = self._queued, None
            turn = self._turn
            if turn is None or not self.streaming:
                return queued
            self.phase = CANCELLING
        turn.handle.cancel(wait=0)
        self.on_change()
        return queued

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker to finish; True when no turn is running any more."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        return not self.busy

    # -- the worker ------------------------------------------------------------------------

    def _work(self, turn: _Turn | None) -> None:
        while turn is not None:
            self._run(turn)
            with self._lock:
                text, self._queued = self._queued, None
                refs = self._queued_attachments
                turn = self._turn = _Turn(text, self._new_handle(text, refs)) if text is not None else None
                self.phase = WAITING if turn is not None else IDLE
            self.on_change()

    def _run(self, turn: _Turn) -> None:
        from smelt_repl.render import StreamRenderer

        if turn.job is not None:
            self._run_job(turn)
            return
        renderer = StreamRenderer(lambda: self.width(), self.color)  # asked per delta: resizes
        self._print(turn, display.user_echo(turn.text, self.color, turn.handle.attachments))
        try:
            self.app.run_turn(turn.handle, lambda delta: self._on_delta(turn, renderer, delta),
                              lambda result: self._finish(turn, renderer, self._trailer(result)))
        except Exception as exc:  # ConfigError and friends: nothing was sent
            error = display.error_line(str(exc) or type(exc).__name__, self.color)
            self._finish(turn, renderer, error)
        if not turn.printed.is_set():
            self._finish(turn, renderer, "")
        taken_back = self.app.take_back_failed_turn(turn.handle)
        if taken_back is not None and self.on_taken_back is not None:
            self.on_taken_back(taken_back)

    def _run_job(self, turn: _Turn) -> None:
        assert turn.job is not None
        self._print(turn, display.dim_line("compacting the conversation… · Ctrl-C cancels", self.color))
        try:
            line, error = turn.job()
        except Exception as exc:  # ConfigError and friends: nothing was sent
            line, error = str(exc) or type(exc).__name__, True
        with self._lock:
            self.phase = ENDING
        self._print_outcome(turn.handle, line, error)
        turn.printed.set()

    def _print_outcome(self, handle: TurnHandle, line: str, error: bool) -> None:
        """A compaction's one line: red when it installed nothing."""
        if not handle.detached:
            self.scrollback.write(display.error_line(line, self.color) if error else display.dim_line(line, self.color))

    def _trailer(self, result: TurnResult) -> str:
        record = {"cancelled": result.cancelled or result.interrupted, "error": result.error,
                  "truncated": result.truncated, "reasoning_content": result.reasoning}
        return display.reply_trailer(record, self.color)

    def _finish(self, turn: _Turn, renderer: StreamRenderer, trailer: str) -> None:
        """Print the end of the reply (its last line once) and what follows it."""
        with self._lock:
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
        if text and not turn.handle.detached:  # a detached turn's screen has moved on
            self.scrollback.write(text)
