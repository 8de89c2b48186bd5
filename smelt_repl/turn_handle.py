"""A chat turn's handle: made by its caller before anything runs, owned by that caller.

The handle is what makes cancelling safe at every moment of a turn. ``cancel()`` sets the
turn's ``CancelToken`` — before the engine has started (the engine then sends nothing), while
the reply streams (the provider's response is closed at once), or while the reply is being
written (it is written whole, marked cancelled) — and may wait for ``ended``: the turn's
writes are done and its reply is on screen, so what the caller does next (a rewind, a load)
comes after it, never under it.

``detached`` is the last resort of an operation that stopped waiting (a Lua handler running
away on the turn's thread): the turn's later writes are dropped instead of landing in a
history they no longer belong to. ``App`` sets it, under the session lock the turn's writes
take too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smelt_repl.providers.base import is_truncated
from smelt_repl.providers.cancel import CancelToken

if TYPE_CHECKING:
    from smelt_repl.session_core import Session
    from smelt_repl.session_core.usage import Usage


@dataclass
class TurnResult:
    """How a turn ended."""

    reply: str
    cancelled: bool = False
    error: str | None = None
    usage: Usage | None = None
    cost_usd: float = 0.0
    reasoning: str = ""
    reasoning_signature: str | None = None  # Anthropic's signature of the thinking block
    reasoning_estimated: bool = False  # usage.reasoning is our estimate, not the server's
    stop_reason: str | None = None  # the API's own word for why the reply ended
    interrupted: bool = False  # ended by KeyboardInterrupt in the turn's own thread

    @property
    def truncated(self) -> bool:
        """True when the model stopped at its output token limit."""
        return is_truncated(self.stop_reason)


class TurnHandle:
    """One turn of ``content`` in ``session``, from its creation until its writes are done."""

    def __init__(self, content: object, session: Session, attachments: list[dict] | None = None) -> None:
        self.content = content
        self.attachments = attachments or []  # references the user message's record keeps
        self.session = session
        self.cancel_token = CancelToken()
        self.ended = threading.Event()  # writes done, reply printed (``on_end`` ran)
        self.result: TurnResult | None = None
        self.detached = False
        self.user_index: int | None = None  # where its message stands in the live history
        self.reply_fields: dict[str, object] = {}  # more fields for the reply's record
        self.reasoning_effort: str | None = None  # None: the model's own setting
        self.on_reasoning: Callable[[str], None] | None = None  # reasoning text as it streams
        self.before_send: Callable[[TurnHandle], None] | None = None  # runs before the message is written
        self._thread_id: int | None = None

    @property
    def failed_before_reply(self) -> bool:
        """True when the turn ended in an error (not a cancel) before any reply text came."""
        result = self.result
        return result is not None and bool(result.error) and not result.reply and not result.cancelled

    @property
    def cancelled(self) -> bool:
        """True once ``cancel`` was called (the turn may still be winding down)."""
        return self.cancel_token.is_set()

    def cancel(self, wait: float | None = 0) -> bool:
        """Cancel the turn, from any thread, at any point of its life; with ``wait``, block up
        to that many seconds (never on the turn's own thread) until it has ended. True when it
        has ended."""
        self.cancel_token.set()
        if wait and not self.on_its_thread():
            self.ended.wait(wait)
        return self.ended.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the turn has ended (up to ``timeout`` seconds); True when it has."""
        return self.ended.wait(timeout)

    def mark_running(self) -> None:
        """Called by the engine on the thread that runs the turn, as it starts."""
        self._thread_id = threading.get_ident()

    def on_its_thread(self) -> bool:
        """True when called from the thread running the turn (its event handlers run there)."""
        return self._thread_id == threading.get_ident()
