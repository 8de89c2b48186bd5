"""The chat engine: one turn = user message on disk, a streamed reply, usage in the ledger.

Order of a turn, so that nothing the user typed or saw is lost:
1. the user message is appended and fsynced *before* the request is sent;
2. deltas go to the sink (the screen) and the ``stream_delta`` event as they arrive;
3. the reply (complete, partial-and-cancelled, or partial-with-error) is appended and
   fsynced, then the usage and cost go to the ledger;
4. ``on_end`` (if given) gets the result, so the screen can finish the reply, and
   ``turn_end`` fires last: what its handlers print follows the whole reply.
Cancellation (``cancel()``) is safe from any thread and takes effect within ~50 ms: the
provider streams on a thread of its own into a queue, so a read blocked on a silent server
never holds the turn up (that thread ends at its read timeout). A KeyboardInterrupt in the
thread that runs the turn is treated like a cancel and reported in the result. If the
history moved on while a turn was ending (a Lua handler rewound or switched sessions from
inside the turn), the reply is not written into a history it no longer belongs to.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from smelt_repl.events import EventBus
from smelt_repl.providers import (
    ChatRequest,
    Provider,
    ProviderError,
    ReasoningDelta,
    ResolvedModel,
    TextDelta,
    Usage,
    UsageReport,
    cost_usd,
)
from smelt_repl.session_core import Session
from smelt_repl.session_core.content import message_text

Sink = Callable[[str], None]
POLL_S = 0.05
log = logging.getLogger("smelt.engine")
_END = object()


class _Failure:
    """An exception raised on the provider thread, carried to the turn thread."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


@dataclass
class TurnResult:
    """How a turn ended."""

    reply: str
    cancelled: bool = False
    error: str | None = None
    usage: Usage | None = None
    cost_usd: float = 0.0
    reasoning: str = ""
    interrupted: bool = False  # ended by KeyboardInterrupt in the turn's own thread


class ChatEngine:
    """Runs turns of one conversation at a time and lets another thread cancel them."""

    def __init__(self, events: EventBus) -> None:
        self.events = events
        self._cancel = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._turn_thread: int | None = None

    @property
    def busy(self) -> bool:
        """True while a turn is in flight."""
        return not self._idle.is_set()

    def cancel(self, wait: float | None = 5.0) -> None:
        """Cancel the turn in flight (if any) and wait up to ``wait`` seconds for it to stop."""
        if self.busy:
            self._cancel.set()
            # A handler running inside the turn (stream_delta) cannot wait for the turn to end.
            if wait and threading.get_ident() != self._turn_thread:
                self._idle.wait(wait)

    def run_turn(
        self,
        session: Session,
        model: ResolvedModel,
        provider_factory: Callable[[], Provider],
        system: str,
        content: object,
        sink: Sink | None = None,
        on_end: Callable[[TurnResult], None] | None = None,
    ) -> TurnResult:
        """Send ``content`` as the user's message and stream the reply into ``session``;
        ``on_end(result)`` runs once the turn has stopped, before ``turn_end`` fires."""
        self._cancel = threading.Event()
        self._idle.clear()
        self._turn_thread = threading.get_ident()
        try:
            user_record = session.append_message("user", content, durable=True)
            self.events.emit("turn_start", {"text": message_text(content)})
            result = self._stream(session, model, provider_factory, system, sink)
            self._persist(session, model, result, user_record)
        finally:
            self._turn_thread = None
            self._idle.set()
        if on_end is not None:
            on_end(result)
        payload = {"cancelled": result.cancelled}
        if result.error:
            payload["error"] = result.error
        self.events.emit("turn_end", payload)
        return result

    def _stream(self, session: Session, model: ResolvedModel, provider_factory: Callable[[], Provider],
                system: str, sink: Sink | None) -> TurnResult:
        cancel = self._cancel
        parts: list[str] = []
        result = TurnResult(reply="")
        request = ChatRequest(model=model.model, system=system, messages=request_messages(session.messages),
                              max_tokens=model.config.max_tokens)
        try:
            for event in _in_background(provider_factory, request, cancel):
                if isinstance(event, TextDelta) and event.text:
                    parts.append(event.text)
                    if sink is not None:
                        sink(event.text)
                    if self.events.has_handlers("stream_delta"):
                        self.events.emit("stream_delta", {"text": event.text})
                elif isinstance(event, ReasoningDelta):
                    result.reasoning += event.text
                elif isinstance(event, UsageReport):
                    result.usage = event.usage  # cumulative: the last report wins
        except ProviderError as exc:
            result.error = str(exc)
        except KeyboardInterrupt:
            result.interrupted = True
            cancel.set()
        except Exception as exc:  # a provider bug must not lose the turn
            log.exception("unexpected error in a turn")
            result.error = f"{model.spec.name}: unexpected error: {type(exc).__name__}: {exc}"
        result.cancelled = cancel.is_set()
        result.reply = "".join(parts)
        return result

    def _persist(self, session: Session, model: ResolvedModel, result: TurnResult, user_record: dict) -> None:
        if session.closed:
            log.warning("turn ended after its session %s was closed; reply dropped", session.id[:8])
            return
        if result.usage is not None:
            self._record_usage(session, model, result)
        if not session.messages or session.messages[-1] is not user_record:
            log.warning("history moved on during the turn; reply not appended to session %s", session.id[:8])
            return
        extra: dict[str, object] = {"model": model.key}
        if result.reasoning:
            extra["reasoning_content"] = result.reasoning
        if result.cancelled:
            extra["cancelled"] = True
        if result.error:
            extra["error"] = result.error
        if result.usage is not None and result.usage.context_tokens is not None:
            extra["context_tokens"] = result.usage.context_tokens
        session.append_message("assistant", result.reply, durable=True, **extra)

    @staticmethod
    def _record_usage(session: Session, model: ResolvedModel, result: TurnResult) -> None:
        usage = result.usage
        assert usage is not None
        result.cost_usd = cost_usd(usage, model.config)
        session.record_usage(model.key, cost_usd=result.cost_usd, input=usage.input, output=usage.output,
                             cache_read=usage.cache_read, cache_write=usage.cache_write,
                             reasoning=usage.reasoning, context_tokens=usage.context_tokens)


def _in_background(provider_factory: Callable[[], Provider], request: ChatRequest,
                   cancel: threading.Event) -> Iterator[object]:
    """The provider's events, produced on a daemon thread; stops yielding as soon as
    ``cancel`` is set, whatever the provider thread is blocked on."""
    events: queue.Queue = queue.Queue()

    def produce() -> None:
        try:
            for event in provider_factory().stream(request, cancel):
                events.put(event)
                if cancel.is_set():
                    break
        except BaseException as exc:  # handed over to the turn thread
            events.put(_Failure(exc))
        finally:
            events.put(_END)

    threading.Thread(target=produce, name="smelt-provider", daemon=True).start()
    while True:
        try:
            item = events.get(timeout=POLL_S)
        except queue.Empty:
            if cancel.is_set():
                return
            continue
        if item is _END:
            return
        if isinstance(item, _Failure):
            raise item.exc
        yield item
        if cancel.is_set():
            return


def request_messages(history: list[dict]) -> list[dict]:
    """The live history as API messages: empty replies (failed turns) dropped, consecutive
    user messages merged, roles the APIs do not know turned into user text."""
    out: list[dict] = []
    for record in history:
        role, content = record.get("role"), record.get("content")
        if role == "assistant" and not message_text(content) and not record.get("tool_calls"):
            continue
        if role in ("system", "tool"):
            continue  # the system prompt is sent separately; tool runs are not replayed
        if role not in ("user", "assistant"):
            role, content = "user", message_text(content)
        if out and out[-1]["role"] == role == "user":
            out[-1]["content"] = _join_contents(out[-1]["content"], content)
            continue
        out.append({"role": role, "content": content})
    return out


def _join_contents(first: object, second: object) -> object:
    if isinstance(first, str) and isinstance(second, str):
        return f"{first}\n\n{second}"
    return _as_parts(first) + _as_parts(second)


def _as_parts(content: object) -> list:
    if isinstance(content, list):
        return list(content)
    return [{"type": "text", "text": content if isinstance(content, str) else ""}]
