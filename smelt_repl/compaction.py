"""Compaction: the model summarises the older part of the conversation and the summary
becomes the session's checkpoint (``Session.add_checkpoint``), so later requests send the
summary and only the last turns as they are. The transcript keeps every message.

A compaction runs on a turn handle (``new_compaction``) as the turn in flight, so a session
change waits for it and Ctrl-C cancels it; the summary request goes through the engine
(``ChatEngine.summarize``): its usage and cost go to the ledger like a turn's, and its
request and reply are never messages of the conversation. Three ways in: ``:compact``,
``smelt.settings.auto_compact`` (before a turn, past ``AUTO_FRACTION`` of the context
window or when the message would not fit) and ``smelt.session.checkpoint`` (a summary of
the script's own).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smelt_repl.compaction_prompt import compaction_instruction
from smelt_repl.context_view import LiveGrowth, first_live, summary_message
from smelt_repl.engine import RequestMessages
from smelt_repl.session_core.content import message_text
from smelt_repl.turn_handle import TurnHandle

if TYPE_CHECKING:
    from smelt_repl.app import App
    from smelt_repl.session_core import Session
    from smelt_repl.turn_handle import TurnResult

KEEP_TURNS = 2  # the last user turns (with their replies) a compaction leaves live
AUTO_FRACTION = 0.8  # auto_compact: compact once the context passes this part of the window
CHARS_PER_TOKEN = 4  # the cheap estimate of the overflow check
NOTHING_TO_COMPACT = f"nothing to compact: it takes more than {KEEP_TURNS} turns since the last summary"


@dataclass(frozen=True)
class Outcome:
    """How a compaction ended: the line to show, and whether it is an error."""

    line: str
    error: bool = False
    installed: bool = False


def compaction_cut(session: Session) -> int | None:
    """Where the last ``KEEP_TURNS`` turns begin (the live history index the checkpoint will
    have); None when there is nothing to summarise before them."""
    turns = session.turns()
    if len(turns) <= KEEP_TURNS:
        return None
    cut = turns[-KEEP_TURNS].block_idx
    return cut if cut > first_live(session) else None


def summary_request(session: Session, cut: int, guidance: str = "") -> list[dict]:
    """The messages of a summary request: what requests send now of the messages before
    ``cut`` (the earlier summary first), then the instruction."""
    messages = RequestMessages()(session.messages[:cut], session.read_attachment, session.checkpoint)
    return [*messages, {"role": "user", "content": compaction_instruction(guidance)}]


def new_compaction(app: App) -> TurnHandle:
    """The handle of a compaction in the current session, made the turn in flight."""
    return app.guard.begin_turn(lambda: TurnHandle("", app.session))


def run_compaction(app: App, turn: TurnHandle, guidance: str = "", kind: str = "compact") -> Outcome:
    """Run the compaction of ``new_compaction`` (blocking); ConfigError for a model that
    cannot be used (nothing sent)."""
    try:
        return compact(app, turn, guidance, kind)
    finally:
        app.guard.end_turn(turn)


def compact(app: App, turn: TurnHandle, guidance: str, kind: str) -> Outcome:
    """Summarise all but the last turns of ``turn``'s session on ``turn``'s cancel token and
    install the summary as a checkpoint of ``kind``."""
    session = turn.session
    with app.guard.lock:
        cut = compaction_cut(session)
        messages = summary_request(session, cut, guidance) if cut is not None else []
    if cut is None:
        return Outcome(NOTHING_TO_COMPACT)
    model = app.resolved_model()
    provider = app.provider_for(model)
    installed: list[dict] = []

    def install(result: TurnResult) -> None:
        if result.reply.strip() and session is app.session:
            record = session.add_checkpoint(result.reply.strip(), cut, kind)
            installed.extend([record] if record else [])

    result = app.engine.summarize(turn, model, lambda: provider, app.system(), messages, install)
    turn.result = result
    return _outcome(result, cut, bool(installed))


def _outcome(result: TurnResult, cut: int, installed: bool) -> Outcome:
    if result.cancelled or result.interrupted:
        return Outcome("compaction cancelled: nothing installed", error=True)
    if result.error:
        return Outcome(f"compaction failed, nothing installed: {result.error}", error=True)
    if not installed:
        return Outcome("compaction failed, nothing installed: the summary was empty", error=True)
    return Outcome(f"compacted: a summary now stands for the first {cut} messages; "
                   f"the last {KEEP_TURNS} turns stay as they are", installed=True)


class LiveChars:
    """The characters of the rows ``model_rows`` gives, counted once: a history that only
    grew since the last call has only its new messages counted (``LiveGrowth``), so Enter on
    a long session does not read it all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._growth = LiveGrowth()
        self._chars = 0

    def __call__(self, session: Session) -> int:
        """The characters of ``model_rows(session)``'s contents."""
        messages, checkpoint = session.messages, session.checkpoint
        with self._lock:
            start, afresh = self._growth.unread(messages, checkpoint)
            if afresh:
                self._chars = len(summary_message(checkpoint)["content"]) if checkpoint else 0
            self._chars += sum(len(message_text(m.get("content"))) for m in messages[start:])
            self._growth.read(messages, checkpoint)
            return self._chars


_live_chars = LiveChars()


def estimated_tokens(app: App, text: str) -> int:
    """A cheap estimate of the next request's size with ``text`` as its message: its
    characters over ``CHARS_PER_TOKEN``, or the last known context size if larger."""
    chars = len(app.system()) + len(text) + _live_chars(app.session)
    known = app.session.context_tokens() or 0
    return max(chars // CHARS_PER_TOKEN, known + len(text) // CHARS_PER_TOKEN)


REPL_REMEDY = ":compact first (your message stays in the prompt)"


def overflow_problem(app: App, text: str, remedy: str = REPL_REMEDY) -> str | None:
    """One line saying ``text`` will clearly not fit the model's context window, ending with
    ``remedy``; None when it may fit, when the window is unknown, or when auto_compact will
    make room first."""
    window = app.context_window()
    if not window or app.settings.get("auto_compact"):
        return None
    needed = estimated_tokens(app, text)
    if needed <= window:
        return None
    return f"the conversation will not fit the model's context window (~{needed:,} of {window:,} tokens): {remedy}"


def needs_auto_compaction(app: App, text: str) -> bool:
    """True when auto_compact is on and, before sending ``text``, the context has passed
    ``AUTO_FRACTION`` of the window or the message would not fit."""
    window = app.context_window()
    if not app.settings.get("auto_compact") or not window:
        return False
    tokens = app.session.context_tokens() or 0
    return tokens > AUTO_FRACTION * window or estimated_tokens(app, text) > window


def auto_compaction(app: App, show: Callable[[Outcome], None]) -> Callable[[TurnHandle], None]:
    """A turn's ``before_send``: compact first (kind "auto") when ``needs_auto_compaction``;
    ``show`` gets the outcome."""
    def before_send(turn: TurnHandle) -> None:
        if needs_auto_compaction(app, message_text(turn.content)) and compaction_cut(turn.session) is not None:
            show(compact(app, turn, "", "auto"))

    return before_send
