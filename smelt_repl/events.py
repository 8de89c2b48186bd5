"""A small named-event bus: the one way the core tells scripts and the UI what happened.

The program's own events are ``EVENTS`` (SPEC §5); plugins may emit and listen to their own names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], None]
ErrorSink = Callable[[str, BaseException], None]

# Every event the program fires, in the order a session meets them.
EVENTS: tuple[str, ...] = (
    "session_start", "session_load", "turn_start", "stream_delta", "turn_end",
    "rewind", "fork", "reset", "shutdown",
)


class EventBus:
    """Handlers by event name, called in registration order.

    A handler that raises does not stop the others: the exception goes to ``on_error``
    (the UI shows it as one line), and emitting carries on.
    """

    def __init__(self, on_error: ErrorSink | None = None) -> None:
        self._handlers: dict[str, list[Handler]] = {}
        self.on_error: ErrorSink = on_error or _ignore

    def on(self, name: str, handler: Handler) -> Callable[[], None]:
        """Subscribe ``handler`` to ``name``; returns a function that unsubscribes it."""
        self._handlers.setdefault(name, []).append(handler)

        def unsubscribe() -> None:
            handlers = self._handlers.get(name, [])
            if handler in handlers:
                handlers.remove(handler)

        return unsubscribe

    def emit(self, name: str, payload: dict[str, Any] | None = None) -> None:
        """Call every handler of ``name`` with ``payload`` (an empty dict when None)."""
        for handler in list(self._handlers.get(name, ())):
            try:
                handler(payload if payload is not None else {})
            except KeyboardInterrupt:
                raise
            except Exception as exc:
                self.on_error(name, exc)

    def has_handlers(self, name: str) -> bool:
        """True when something listens to ``name`` (lets hot paths skip building payloads)."""
        return bool(self._handlers.get(name))


def _ignore(name: str, exc: BaseException) -> None:
    del name, exc
