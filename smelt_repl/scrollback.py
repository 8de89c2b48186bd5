"""Printing into the terminal scrollback above the prompt, from any thread, in order.

While the prompt_toolkit application runs, text is queued and drained on the UI loop as
``run_in_terminal`` would (the prompt is erased, the text written, the prompt redrawn) but
with the terminal left in raw mode, so keys typed meanwhile stay keys; so a
worker thread never touches the terminal. Writes that arrive close together are drained
in one go, at most one drain a frame (``FRAME_S``): a fast stream gets one write, one flush
and one redraw of the prompt a frame, not one a line. Before the application starts and
after it ends, text is written straight through.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

Writer = Callable[[str], None]
FRAME_S = 1 / 60  # the shortest time between two drains


class Scrollback:
    """An ordered, thread-safe printer bound to one writer (the terminal, or a test list)."""

    def __init__(self, write: Writer) -> None:
        self._write = write
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._drained_at = 0.0  # time.monotonic() of the last drain
        self._after_drain: list[Callable[[], None]] = []

    def attach(self) -> None:
        """Route output through the application whose event loop is running now."""
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._loop_thread = threading.get_ident()

    def detach(self) -> None:
        """Write out whatever is queued and go back to writing straight through."""
        with self._lock:
            self._loop = self._loop_thread = None
            self._scheduled = False
            rest, self._pending = "".join(self._pending), []
            after, self._after_drain = self._after_drain, []
            if rest:
                self._write(rest)
        for work in after:
            work()

    def write(self, text: str) -> None:
        """Print ``text`` (normally complete lines) above the prompt; safe from any thread."""
        if not text:
            return
        with self._lock:
            if self._loop is None:
                self._write(text)
                return
            self._pending.append(text)
            if self._scheduled:
                return
            self._scheduled = True
            loop, on_loop = self._loop, self._loop_thread == threading.get_ident()
        wait = self._drained_at + FRAME_S - time.monotonic()
        try:
            if wait > 0:  # drained less than a frame ago: the next drain takes what comes meanwhile
                loop.call_soon_threadsafe(loop.call_later, wait, self._kick)
            elif on_loop:
                loop.call_soon(self._kick)
            else:
                loop.call_soon_threadsafe(self._kick)
        except RuntimeError:  # the loop closed under us: write through instead
            self.detach()

    def after_drain(self, work: Callable[[], None]) -> None:
        """Run ``work`` once the text queued now is on screen and the prompt drawn again
        under it (on the UI loop), or at once when nothing is queued."""
        with self._lock:
            if self._pending:
                self._after_drain.append(work)
                return
        work()

    def _kick(self) -> None:
        from prompt_toolkit.application import get_app_or_none

        app = get_app_or_none()
        if app is None or not app.is_running:
            self._drain()
        else:
            app.create_background_task(self._print_above(app))

    async def _print_above(self, app: Any) -> None:
        """``run_in_terminal``'s steps (after an earlier one and the pending cursor-position
        replies: erase the prompt, write, redraw it) without its switch of the terminal to
        cooked mode and back: the write is synchronous, so nothing reads input meanwhile,
        and output is processed the same in raw mode. In cooked mode a key typed during the
        write would be the terminal's (Ctrl-D an end of file, Ctrl-C a signal, text echoed).
        Uses the application's private run-in-terminal chain, as ``in_terminal`` does."""
        previous, done = app._running_in_terminal_f, asyncio.get_running_loop().create_future()
        app._running_in_terminal_f = done
        try:
            if previous is not None:
                await previous
            if app.output.responds_to_cpr:
                await app.renderer.wait_for_cpr_responses()
            if not app.is_running:
                self._drain()
                return
            app.renderer.erase()
            app._running_in_terminal = True
            try:
                self._drain()
            finally:
                app._running_in_terminal = False
                app.renderer.reset()
                app._request_absolute_cursor_position()
                app._redraw()
        finally:
            if not done.done():
                done.set_result(None)

    def _drain(self) -> Any:
        with self._lock:
            text, self._pending = "".join(self._pending), []
            after, self._after_drain = self._after_drain, []
            self._scheduled = False
            self._drained_at = time.monotonic()
            loop = self._loop
        if text:
            self._write(text)
        for work in after:  # after the redraw that follows this drain
            loop.call_soon(work) if loop is not None else work()
