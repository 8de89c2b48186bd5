"""The application core: the current session, the model, and every operation of SPEC §4.

``App`` is the one place where operations such as rewind, fork, reset and load live, so
the shell (keys, meta-commands) and the Lua host (``smelt.session.*``) behave the same.
It talks to the terminal only through the ``UiHost`` interface (``None`` when headless)
and announces what happened on its ``EventBus``.

Turns and session changes: a turn's caller makes its handle (``new_turn``) and runs it
(``run_turn``, blocking, usually on a worker thread). An operation that changes the current
session (rewind, undo, fork, reset, load) cancels the turn in flight and waits, bounded, for
it to end, then runs under the session lock that the turn's writes take too, so no write of
an old turn lands in a new history. Asked for from the turn's own thread (a Lua handler of
``turn_start`` or ``stream_delta``), it cannot wait for the turn it runs in: it is checked at
once and carried out when the turn has ended, on that thread.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

from smelt_repl.engine import ChatEngine, Sink
from smelt_repl.events import EventBus
from smelt_repl.providers import Provider, ProviderError, ProviderPool, ProviderSpec, ResolvedModel, resolve_model
from smelt_repl.session_core import Session, SessionRefused, SessionStore
from smelt_repl.session_core.content import message_text
from smelt_repl.settings import default_settings
from smelt_repl.system_prompt import assemble_system_prompt
from smelt_repl.turn_handle import TurnHandle, TurnResult
from smelt_repl.ui_host import UiHost

log = logging.getLogger("smelt.app")
CANCEL_WAIT_S = 2.0  # how long a session change waits for the turn in flight to end
SessionChange = Callable[[], "tuple[str, dict] | None"]  # does the change; returns the event to fire


class ConfigError(ValueError):
    """The configured model or provider cannot be used (unknown provider, bad --api-base...)."""


class App:
    """The program's state and operations, independent of how they are triggered."""

    def __init__(
        self,
        store: SessionStore,
        *,
        cwd: str | None = None,
        ui: UiHost | None = None,
        model_flag: str | None = None,
        api_base: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.cwd = cwd or os.getcwd()
        self.ui = ui
        self.env = os.environ if env is None else env
        self.model_flag = model_flag
        self.api_base = api_base
        self.settings: dict[str, Any] = default_settings()
        self.providers: dict[str, ProviderSpec] = {}  # registered specs by name
        self.provider_pool = ProviderPool()  # live clients, kept across turns
        self.system_sections: list[str] = []
        self.events = EventBus(on_error=self._event_handler_failed)
        self._lock = threading.RLock()  # the session lock: session changes and a turn's writes
        self.engine = ChatEngine(self.events, self._lock)
        self.turn: TurnHandle | None = None  # the turn in flight (or about to start)
        self.cancel_wait_s = CANCEL_WAIT_S
        self._deferred: list[SessionChange] = []
        self.exit_code: int | None = None  # set by request_exit (a script's os.exit)
        self.failed_content: object | None = None  # the message of a turn taken back, for :retry
        self.session: Session = store.new_session(self.cwd)

    def attach_ui(self, ui: UiHost) -> None:
        """Make ``ui`` the terminal UI of this App (the shell does, as it is built)."""
        self.ui = ui

    @property
    def headless(self) -> bool:
        """True when there is no terminal UI."""
        return self.ui is None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, session_id: str | None = None) -> None:
        """Open ``session_id`` (or keep the new empty session) and fire ``session_start``."""
        if session_id is not None:
            self._switch_to(self.store.open(self.store.resolve(session_id)))
            self.session.record_event("load", reason="resume")
        self.events.emit("session_start", {"id": self.session.id})

    def shutdown(self) -> None:
        """Cancel any turn, fire ``shutdown`` and release the session."""
        self.cancel_turn()
        self.events.emit("shutdown", {"id": self.session.id})
        with self._lock:
            self._detach_unfinished_turn()
            self.session.close()
        self.provider_pool.close()

    def request_exit(self, code: int = 0) -> None:
        """A clean quit asked for by a script (Lua ``os.exit``): in the REPL the same as
        ``:q``; headless, the run ends with ``code`` once the script has unwound."""
        self.exit_code = code
        if self.ui is not None:
            self.ui.quit()

    # -- model and prompt ----------------------------------------------------------------

    def resolved_model(self) -> ResolvedModel:
        """The model of the next request: --model, else $SMELT_MODEL, else settings.model."""
        name = self.model_flag or self.env.get("SMELT_MODEL") or self.settings.get("model")
        try:
            return resolve_model(name, self.api_base, self.providers)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    def _provider_for(self, model: ResolvedModel) -> Provider:
        try:
            return self.provider_pool.get(model, self.env)
        except ProviderError as exc:  # a missing key: nothing is sent, nothing written
            raise ConfigError(str(exc)) from None

    def system(self) -> str:
        """The exact system prompt the next request will send."""
        return assemble_system_prompt(self.settings.get("system_prompt"), self.session.cwd or self.cwd,
                                      self.system_sections)

    def context_window(self) -> int | None:
        """The active model's configured context window (None when undeclared)."""
        try:
            return self.resolved_model().config.context_window
        except ConfigError:
            return None

    # -- turns ---------------------------------------------------------------------------

    def new_turn(self, content: object) -> TurnHandle:
        """The handle of a turn that will send ``content`` in the current session; from now
        on it is the turn in flight: cancelling it, or a session change, stops it before it
        sends anything. The caller runs it with ``run_turn``."""
        with self._lock:
            turn = self.turn = TurnHandle(content, self.session)
            self.failed_content = None
        return turn

    def run_turn(self, turn: TurnHandle, sink: Sink | None = None,
                 on_end: Callable[[TurnResult], None] | None = None) -> TurnResult:
        """Run ``turn`` (blocking). Raises ConfigError (nothing sent, nothing written) for a
        bad model or a missing API key. ``sink`` gets the reply's text as it streams;
        ``on_end`` gets the result once the turn has stopped, before ``turn_end`` handlers
        run. Session changes asked for by handlers during the turn run after it."""
        try:
            model = self.resolved_model()
            provider = self._provider_for(model)
            result = self.engine.run(turn, model, lambda: provider, self.system(), sink, on_end)
        finally:
            turn.ended.set()
            with self._lock:
                if self.turn is turn:
                    self.turn = None
        self._run_deferred()
        return result

    def send(self, content: object, sink: Sink | None = None,
             on_end: Callable[[TurnResult], None] | None = None) -> TurnResult:
        """Run one turn of ``content`` here and now (``new_turn`` then ``run_turn``)."""
        return self.run_turn(self.new_turn(content), sink, on_end)

    def cancel_turn(self) -> None:
        """Cancel the turn in flight, if any, and wait (at most ``cancel_wait_s``, never on
        the turn's own thread) until its reply is written and on screen."""
        turn = self.turn
        if turn is not None:
            turn.cancel(self.cancel_wait_s)

    def take_back_failed_turn(self, turn: TurnHandle) -> str | None:
        """A turn that failed before any reply text is rewound on its own (SPEC §9): its
        message leaves the live history (the transcript keeps all, as with ``:rewind``) and
        its text is returned, to be sent again; None for any other turn."""
        index = turn.user_index
        if not turn.failed_before_reply or index is None:
            return None

        def take_back() -> tuple[str, dict] | None:
            if self.session is not turn.session or self.session.closed:
                return None  # the user moved on to another session meanwhile
            result = self.session.rewind_to(index)
            self.failed_content = turn.content
            return "rewind", {"block_idx": result.block_idx, "restored_text": result.restored_text}

        self._change_session(take_back)
        return message_text(turn.content) if self.failed_content is turn.content else None

    def content_to_retry(self) -> object:
        """What ``:retry`` sends: the message of a failed turn taken back, else the last user
        message, whose reply is cut first (non-destructively, as a rewind)."""
        if self.failed_content is not None:
            content, self.failed_content = self.failed_content, None
            return content
        turns = self.session.turns()
        if not turns:
            raise SessionRefused("nothing to retry: no message sent yet")
        content = self.session.messages[turns[-1].block_idx].get("content")

        def cut() -> tuple[str, dict]:
            result = self.session.rewind_to(turns[-1].block_idx)
            return "rewind", {"block_idx": result.block_idx, "restored_text": result.restored_text}

        self._change_session(cut)
        return content

    # -- history edits -------------------------------------------------------------------

    def rewind_to(self, block_idx: int | None, restore_vim_insert: bool = False) -> None:
        """Cut the history at a user turn and put its text back in the prompt (SPEC §4).

        A ``block_idx`` that is not a user turn raises SessionRefused before anything,
        even a turn in flight, is touched.
        """
        self.session.rewind_target(block_idx)

        def rewind() -> tuple[str, dict]:
            result = self.session.rewind_to(block_idx)
            if self.ui is not None:
                self.ui.show_session(self.session.messages, reset_mode=False)
                self.ui.set_prompt_text(result.restored_text)
                if restore_vim_insert:
                    self.ui.enter_vim_insert()
            return "rewind", {"block_idx": result.block_idx, "restored_text": result.restored_text}

        self._change_session(rewind)

    def undo_rewind(self) -> None:
        """Bring back the turns the last rewind cut (while nothing was sent since)."""
        def undo() -> tuple[str, dict]:
            self.session.undo_rewind()
            if self.ui is not None:
                self.ui.show_session(self.session.messages, reset_mode=False)
                self.ui.set_prompt_text("")
            return "rewind", {"block_idx": None, "restored_text": "", "undo": True}

        self._change_session(undo)

    def fork(self) -> None:
        """Continue in a copy of the current session; the original stays as it is."""
        def fork() -> tuple[str, dict]:
            parent = self.session
            child = self.store.fork(parent)
            self._switch_to(child)
            return "fork", {"id": child.id, "parent_id": parent.id}

        self._change_session(fork)

    def reset(self) -> None:
        """Log agent_stop (user_cancel_and_clear) and switch to a new empty session."""
        def reset() -> tuple[str, dict]:
            old_id = self.session.id
            self.session = self.store.reset(self.session)
            if self.ui is not None:
                self.ui.show_session([], reset_mode=True)
            return "reset", {"id": self.session.id, "previous_id": old_id}

        self._change_session(reset)

    # -- other sessions ------------------------------------------------------------------

    def load(self, session_id: str) -> None:
        """Switch to a persisted session (id or unique prefix) and replay it on screen."""
        target = self.store.resolve(session_id)
        if target == self.session.id:
            return

        def load() -> tuple[str, dict] | None:
            if target == self.session.id:
                return None
            opened = self.store.open(target)
            self._switch_to(opened)
            opened.record_event("load")
            if self.ui is not None:
                self.ui.show_session(opened.messages, reset_mode=True)
            return "session_load", {"id": opened.id}

        self._change_session(load)

    def delete(self, session_id: str) -> None:
        """Delete a persisted session (never the current one or one open elsewhere)."""
        self.store.delete(self.store.resolve(session_id), current_id=self.session.id)

    def list_sessions(self) -> list[dict]:
        """Persisted sessions other than the current one, newest first."""
        return self.store.list(exclude=self.session.id)

    def text(self, session_id: str) -> str | None:
        """A session's searchable text, None if it does not exist."""
        return self.store.text(session_id)

    def texts(self, session_ids: list[str]) -> dict[str, str]:
        """Searchable texts of many sessions; missing ones omitted."""
        return self.store.texts(session_ids)

    # -- output --------------------------------------------------------------------------

    def notify(self, text: str) -> None:
        """Show a message: in the scrollback, or on stderr when headless."""
        if self.ui is not None:
            self.ui.output(text)
        else:
            print(text, file=sys.stderr, flush=True)

    def report_error(self, text: str) -> None:
        """Show one error line: in the scrollback, or on stderr when headless."""
        line = " ".join(text.split()) if "\n" in text else text
        if self.ui is not None:
            self.ui.error(line)
        else:
            print(f"error: {line}", file=sys.stderr, flush=True)

    # -- internals -----------------------------------------------------------------------

    def _change_session(self, change: SessionChange) -> None:
        """Run ``change`` (which may switch ``self.session``) with no turn writing meanwhile,
        then fire the event it returns; from a turn's own thread, once that turn has ended."""
        turn = self.turn
        if turn is not None and turn.on_its_thread() and not turn.ended.is_set():
            self._deferred.append(change)
            return
        if turn is not None:
            turn.cancel(self.cancel_wait_s)
        with self._lock:
            self._detach_unfinished_turn()
            event = change()
        if event is not None:
            self.events.emit(*event)

    def _detach_unfinished_turn(self) -> None:
        """Called under the lock: a turn that has not ended yet writes nothing more."""
        turn = self.turn
        if turn is not None and not turn.ended.is_set():
            turn.detached = True
            log.warning("turn still running after %.1f s; its reply will not be saved", self.cancel_wait_s)

    def _run_deferred(self) -> None:
        """Carry out the session changes handlers asked for during the turn just ended."""
        while self._deferred:
            change = self._deferred.pop(0)
            try:
                self._change_session(change)
            except Exception as exc:  # the handler that asked is long gone: report it here
                self.report_error(str(exc) or type(exc).__name__)

    def _switch_to(self, session: Session) -> None:
        old, self.session = self.session, session
        if old is not session:
            old.close()

    def _event_handler_failed(self, name: str, exc: BaseException) -> None:
        self.report_error(f"{name} handler failed: {exc}")
