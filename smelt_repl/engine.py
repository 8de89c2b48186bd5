"""The chat engine: one turn = user message on disk, a streamed reply, usage in the ledger.

Order of a turn (``run``), so that nothing the user typed or saw is lost:
1. the user message is appended and fsynced *before* the request is sent;
2. deltas go to the sink (the screen) and the ``stream_delta`` event as they arrive;
3. the reply (complete, partial-and-cancelled, or partial-with-error) is appended and
   fsynced, then the usage and cost go to the ledger;
4. ``on_end`` (if given) gets the result, so the screen can finish the reply; then the
   turn's handle is ``ended`` and ``turn_end`` fires last: what its handlers print follows
   the whole reply.

The turn's writes (1 and 3) hold the session lock and are skipped for a turn whose handle
was ``detached`` (see ``turn_handle``), so an operation that changes the current session
under the same lock never sees an old turn's write land in a new history.

Cancellation (``TurnHandle.cancel``) is safe from any thread at any time: a turn cancelled
before it started sends nothing; while streaming, the token wakes the turn at once and the
provider closes its response. The provider streams on a thread of its own (``provider_thread``:
its deltas come in batches), so a provider blocked anywhere never holds the turn up. A
KeyboardInterrupt in the thread that runs the turn (headless Ctrl-C) is a cancel too,
reported in the result.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from smelt_repl.attachments import LoadFile, expand
from smelt_repl.context_view import LiveGrowth, summary_message
from smelt_repl.events import EventBus
from smelt_repl.provider_thread import coalesced, in_background
from smelt_repl.providers import (
    ChatRequest,
    Done,
    Provider,
    ProviderError,
    ReasoningDelta,
    ResolvedModel,
    TextDelta,
    UsageReport,
    cost_usd,
)
from smelt_repl.session_core import Session
from smelt_repl.session_core.content import message_text
from smelt_repl.session_core.errors import SessionError, describe
from smelt_repl.session_core.usage import sane_count
from smelt_repl.turn_handle import TurnHandle, TurnResult
from smelt_repl.unicode_text import SurrogateJoiner

Sink = Callable[[str], None]
log = logging.getLogger("smelt.engine")
T = TypeVar("T")

__all__ = ["ChatEngine", "Sink", "TurnResult", "request_messages"]


class ChatEngine:
    """Runs turns; their writes to a session take ``session_lock``."""

    def __init__(self, events: EventBus, session_lock: threading.RLock) -> None:
        self.events = events
        self.session_lock = session_lock
        self._requests = RequestMessages()

    def run(
        self,
        turn: TurnHandle,
        model: ResolvedModel,
        provider_factory: Callable[[], Provider],
        system: str,
        sink: Sink | None = None,
        on_end: Callable[[TurnResult], None] | None = None,
    ) -> TurnResult:
        """Send the turn's content as the user's message and stream the reply into its
        session; ``on_end(result)`` runs once the turn has stopped, before it is ``ended``
        and ``turn_end`` fires."""
        turn.mark_running()
        result = TurnResult(reply="", cancelled=True)
        try:
            if turn.before_send is not None:  # an auto-compaction, say: on this thread, cancellable
                turn.before_send(turn)
            try:
                user_record = self._write(turn, lambda: self._append_user_message(turn))
            except (OSError, SessionError) as exc:  # nothing was sent
                result = TurnResult(reply="", error=f"your message could not be saved, so it was not sent: {describe(exc)}")
                user_record = None
            if user_record is not None:
                self.events.emit("turn_start", {"text": message_text(turn.content)})
                result = self._stream(turn, model, provider_factory, system, sink)
                self._save_reply(turn, model, result)
        finally:
            turn.result = result
            try:
                if on_end is not None:
                    on_end(result)
            finally:
                turn.ended.set()
        payload: dict[str, object] = {"cancelled": result.cancelled}
        if result.error:
            payload["error"] = result.error
        self.events.emit("turn_end", payload)
        return result

    def summarize(self, turn: TurnHandle, model: ResolvedModel, provider_factory: Callable[[], Provider],
                  system: str, messages: list[dict], install: Callable[[TurnResult], None]) -> TurnResult:
        """Stream a reply to ``messages`` that is no part of the conversation (a compaction's
        summary) on ``turn``'s cancel token: its usage goes to the ledger, then
        ``install(result)`` runs under the session lock unless it was cancelled or failed.
        Nothing is shown, no event fires, no message is written."""
        turn.mark_running()
        result = self._stream(turn, model, provider_factory, system, None, messages)

        def write() -> None:
            self._record_usage(turn.session, model, result)
            if not result.cancelled and not result.error:
                install(result)

        self._write(turn, write)
        return result

    def _save_reply(self, turn: TurnHandle, model: ResolvedModel, result: TurnResult) -> None:
        """Write the reply and its usage; a store that refuses (disk full) makes it the
        turn's error (the reply was shown, not saved)."""
        try:
            self._write(turn, lambda: self._persist(turn.session, model, result, turn.reply_fields))
        except (OSError, SessionError) as exc:
            log.warning("reply in session %s not saved", turn.session.id[:8], exc_info=True)
            result.error = f"the reply could not be saved: {describe(exc)}"

    @staticmethod
    def _append_user_message(turn: TurnHandle) -> dict:
        extra = {"attachments": turn.attachments} if turn.attachments else {}
        record = turn.session.append_message("user", turn.content, durable=True, **extra)
        turn.user_index = len(turn.session.messages) - 1
        return record

    def _write(self, turn: TurnHandle, write: Callable[[], T]) -> T | None:
        """Run one of the turn's writes under the session lock, unless the turn was detached."""
        with self.session_lock:
            if turn.detached or turn.session.closed:
                log.warning("turn in session %s was detached; a write was dropped", turn.session.id[:8])
                return None
            return write()

    def _stream(self, turn: TurnHandle, model: ResolvedModel, provider_factory: Callable[[], Provider],
                system: str, sink: Sink | None, messages: list[dict] | None = None) -> TurnResult:
        cancel = turn.cancel_token
        result = TurnResult(reply="")
        if cancel.is_set():  # cancelled before it started: nothing is sent
            result.cancelled = True
            return result
        parts: list[str] = []
        text, reasoning = SurrogateJoiner(), SurrogateJoiner()
        if messages is None:
            session = turn.session
            messages = self._requests(session.messages, session.read_attachment, session.checkpoint)
        request = ChatRequest(model=model.model, system=system, messages=messages,
                              max_tokens=model.config.max_tokens, reasoning_effort=turn.reasoning_effort)
        try:
            for event in (e for batch in in_background(provider_factory, request, cancel) for e in coalesced(batch)):
                if isinstance(event, TextDelta):
                    self._show(text.feed(event.text), parts, sink)
                elif isinstance(event, ReasoningDelta):
                    piece = reasoning.feed(event.text)
                    result.reasoning += piece
                    if piece and turn.on_reasoning is not None:
                        turn.on_reasoning(piece)
                    result.reasoning_signature = event.signature or result.reasoning_signature
                else:
                    _take_report(event, result)
        except ProviderError as exc:
            result.error = str(exc)
        except KeyboardInterrupt:
            result.interrupted = True
            cancel.set()
        except Exception as exc:  # a provider bug must not lose the turn
            log.exception("unexpected error in a turn")
            result.error = f"{model.spec.name}: unexpected error: {type(exc).__name__}: {exc}"
        self._show(text.flush(), parts, sink)
        result.reasoning += reasoning.flush()
        result.cancelled = cancel.is_set()
        result.reply = "".join(parts)
        return result

    def _show(self, text: str, parts: list[str], sink: Sink | None) -> None:
        """A piece of reply text into the reply, the screen and the ``stream_delta`` event."""
        if not text:
            return
        parts.append(text)
        if sink is not None:
            sink(text)
        if self.events.has_handlers("stream_delta"):
            self.events.emit("stream_delta", {"text": text})

    @staticmethod
    def _persist(session: Session, model: ResolvedModel, result: TurnResult, fields: dict[str, object]) -> None:
        """The reply first (it is never lost to a bad usage figure), then the usage."""
        usage = result.usage
        extra: dict[str, object] = {"model": model.key, **fields}
        if result.reasoning:
            extra["reasoning_content"] = result.reasoning
        if result.reasoning_signature:
            extra["reasoning_signature"] = result.reasoning_signature
        if result.truncated:
            extra["truncated"] = True
        if result.cancelled:
            extra["cancelled"] = True
        if result.error:
            extra["error"] = result.error
        if usage is not None and sane_count(usage.context_tokens) is not None:
            extra["context_tokens"] = usage.context_tokens
        session.append_message("assistant", result.reply, durable=True, **extra)
        ChatEngine._record_usage(session, model, result)

    @staticmethod
    def _record_usage(session: Session, model: ResolvedModel, result: TurnResult) -> None:
        """The call's usage and cost into the ledger (and ``result.cost_usd``), if reported."""
        usage = result.usage
        if usage is not None:
            try:
                result.cost_usd = max(0.0, cost_usd(usage, model.config))
                session.record_usage(model.key, usage, result.cost_usd, reasoning_estimated=result.reasoning_estimated)
            except (TypeError, ValueError, OverflowError):  # a figure the ledger cannot hold
                log.warning("usage of a %s call not recorded: %r", model.key, usage, exc_info=True)


def _take_report(event: object, result: TurnResult) -> None:
    """Usage (cumulative: the last report wins) and the stop reason into the result."""
    if isinstance(event, UsageReport):
        result.usage = event.usage
        result.reasoning_estimated = event.reasoning_estimated
    elif isinstance(event, Done):
        result.stop_reason = event.stop_reason


class RequestMessages:
    """``request_messages`` for one history that only grows between rewinds: the messages
    already converted are kept, so a turn on a long session converts only what is new. A
    checkpoint installed or dropped starts the conversion afresh.

    The list returned is the cache's own, not a copy (copying and then freeing 50,000
    references was most of what a long session added to a turn): once returned, it only
    ever grows by appends. A merge into its last message, or a fresh start, makes a new
    list, so the requests built from it earlier keep their messages. Do not change it."""

    def __init__(self) -> None:
        self._growth = LiveGrowth()
        self._out: list[dict] = []

    def __call__(self, history: list[dict], load_attachment: LoadFile | None = None,
                 checkpoint: dict | None = None) -> list[dict]:
        """The API messages of ``history`` (see ``request_messages``); with a ``checkpoint``,
        its summary stands for the messages before its index."""
        start, afresh = self._growth.unread(history, checkpoint)
        if afresh:
            self._out = [summary_message(checkpoint)] if checkpoint else []
        out = self._out
        tail = out[-1:]  # the new messages go after the last one kept, which _convert may merge into
        _convert(history[start:], tail, load_attachment)
        if not out:
            self._out = tail
        elif tail[0] is not out[-1]:  # merged into: a new list, so the one handed out stays as it was
            self._out = [*out[:-1], *tail]
        else:
            out.extend(tail[1:])
        self._growth.read(history, checkpoint)
        return self._out


def request_messages(history: list[dict], load_attachment: LoadFile | None = None) -> list[dict]:
    """The live history as API messages: empty replies (failed turns) dropped, consecutive
    user messages merged, roles the APIs do not know turned into user text, attachments
    (read with ``load_attachment``) expanded into their messages."""
    out: list[dict] = []
    _convert(history, out, load_attachment)
    return out


def _convert(records: list[dict], out: list[dict], load_attachment: LoadFile | None) -> None:
    """Append the API messages of ``records`` to ``out`` (merging into its last one)."""
    for record in records:
        role, content = record.get("role"), record.get("content")
        if role == "user" and record.get("attachments") and load_attachment is not None:
            content = expand(content, record["attachments"], load_attachment)
        if role == "assistant" and not message_text(content) and not record.get("tool_calls"):
            continue
        if role in ("system", "tool"):
            continue  # the system prompt is sent separately; tool runs are not replayed
        if role not in ("user", "assistant"):
            role, content = "user", message_text(content)
        if out and out[-1]["role"] == role == "user":
            out[-1] = {"role": "user", "content": _join_contents(out[-1]["content"], content)}
            continue
        out.append({"role": role, "content": content})


def _join_contents(first: object, second: object) -> object:
    if isinstance(first, str) and isinstance(second, str):
        return f"{first}\n\n{second}"
    return _as_parts(first) + _as_parts(second)


def _as_parts(content: object) -> list:
    if isinstance(content, list):
        return list(content)
    return [{"type": "text", "text": content if isinstance(content, str) else ""}]
