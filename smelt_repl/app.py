"""The application core: the current session, the model, and every operation of SPEC §4.

``App`` is the one place where operations such as rewind, fork, reset and load live, so
the shell (keys, meta-commands) and the Lua host (``smelt.session.*``) behave the same.
It talks to the terminal only through the ``UiHost`` interface (``None`` when headless)
and announces what happened on its ``EventBus``.

Turns and session changes: a turn's caller makes its handle (``new_turn``) and runs it
(``run_turn``, blocking, usually on a worker thread). Operations that change the current
session go through ``session_guard`` so they never run under a turn that may still write;
their arguments are checked at once, so a bad one is an error for the caller even when the
change itself has to wait for the turn to end.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from smelt_repl.attachments import attach, mentioned_paths
from smelt_repl.engine import ChatEngine, Sink
from smelt_repl.events import EventBus
from smelt_repl.model_choice import ModelName, choose_model, session_model
from smelt_repl.providers import Provider, ProviderError, ProviderPool, ProviderSpec, ResolvedModel, resolve_model
from smelt_repl.session_core import Session, SessionRefused, SessionStore
from smelt_repl.session_core.content import message_text
from smelt_repl.session_guard import SessionGuard
from smelt_repl.settings import default_settings
from smelt_repl.system_prompt import assemble_system_prompt
from smelt_repl.turn_handle import TurnHandle, TurnResult
from smelt_repl.ui_host import UiHost


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
        self.model_flag = model_flag  # --model, or :model NAME
        self.api_base = api_base  # --api-base (ad hoc: it goes with the model flag)
        self.session_model: ModelName | None = None  # the model of the current session's last reply
        self.settings: dict[str, Any] = default_settings()
        self.providers: dict[str, ProviderSpec] = {}  # registered specs by name
        self.provider_pool = ProviderPool()  # live clients, kept across turns
        self.system_sections: list[str] = []
        self.context_notes: dict[str, str] = {}  # smelt.session.context_note(name, text)
        self.events = EventBus(on_error=self._event_handler_failed)
        self.guard = SessionGuard(lambda name, payload: self.events.emit(name, payload), self.report_error)
        self.engine = ChatEngine(self.events, self.guard.lock)
        self.exit_code: int | None = None  # set by request_exit (a script's os.exit)
        self.failed_content: object | None = None  # the message of a turn taken back, for :retry
        self.reasoning_effort: str | None = None  # :reasoning LEVEL; None: the model's setting
        self.served_models: dict[tuple, list[str]] = {}  # what each server lists, asked once a run
        self.session: Session = store.new_session(self.cwd)

    def attach_ui(self, ui: UiHost) -> None:
        """Make ``ui`` the terminal UI of this App (the shell does, as it is built)."""
        self.ui = ui

    @property
    def headless(self) -> bool:
        """True when there is no terminal UI."""
        return self.ui is None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, session_id: str | None = None, tail_turns: int = 0) -> None:
        """Open ``session_id`` (``tail_turns``: see ``SessionStore.open``) and fire ``session_start``."""
        if session_id is not None:
            self._switch_to(self.store.open(self.store.resolve(session_id), tail_turns=tail_turns))
            self.session.record_event("load", reason="resume")
        self.events.emit("session_start", {"id": self.session.id})

    def shutdown(self) -> None:
        """Cancel any turn, fire ``shutdown`` and release the session."""
        self.cancel_turn()
        self.events.emit("shutdown", {"id": self.session.id})
        with self.guard.lock:
            self.guard.detach_unfinished_turn()
            self.session.close()
        self.provider_pool.close()

    def request_exit(self, code: int = 0) -> None:
        """A clean quit asked for by a script (Lua ``os.exit``): in the REPL the same as
        ``:q``; headless, the run ends with ``code`` once the script has unwound."""
        self.exit_code = code
        if self.ui is not None:
            self.ui.quit()

    # -- model and prompt ----------------------------------------------------------------

    def model_name(self) -> ModelName:
        """The model of the next request as named (see ``model_choice`` for the precedence)."""
        return choose_model(ModelName(self.model_flag, self.api_base), self.session_model, self.env,
                            self.settings.get("model"))

    def resolved_model(self) -> ResolvedModel:
        """The model of the next request, resolved to its provider."""
        chosen = self.model_name()
        try:
            return resolve_model(chosen.name, chosen.api_base, self.providers)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    def choose_model(self, name: str) -> ResolvedModel:
        """``:model NAME``: ``provider/model``, or a bare name on the current provider (keeping
        its ad-hoc API base); from now on as strong as ``--model``. Raises ConfigError (and
        changes nothing) for a model that cannot be used."""
        current = self.model_name()
        api_base = None
        if "/" not in name:
            try:
                provider = self.resolved_model().spec.name
            except ConfigError:
                provider = None
            if provider is not None and provider != "offline":
                name, api_base = f"{provider}/{name}", current.api_base
        try:
            resolved = resolve_model(name, api_base, self.providers)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        self.provider_for(resolved)  # a missing key is reported now, not at the next send
        self.model_flag, self.api_base = name, api_base
        return resolved

    def check_model(self) -> str | None:
        """One line saying why the configured model cannot be used (unknown provider,
        missing API key), None when it can: said at start-up, not at the first send."""
        try:
            self.provider_for(self.resolved_model())
        except ConfigError as exc:
            return str(exc)
        return None

    def provider_for(self, model: ResolvedModel) -> Provider:
        """The live client of ``model``'s provider; ConfigError for a missing API key."""
        try:
            return self.provider_pool.get(model, self.env)
        except ProviderError as exc:  # a missing key: nothing is sent, nothing written
            raise ConfigError(str(exc)) from None

    def system(self) -> str:
        """The exact system prompt the next request will send (context notes last)."""
        notes = [f"# {name}\n\n{text}" for name, text in self.context_notes.items()]
        return assemble_system_prompt(self.settings.get("system_prompt"), self.session.cwd or self.cwd,
                                      [*self.system_sections, *notes])

    def context_window(self) -> int | None:
        """The active model's configured context window (None when undeclared)."""
        try:
            return self.resolved_model().config.context_window
        except ConfigError:
            return None

    # -- turns ---------------------------------------------------------------------------

    def new_turn(self, content: object, attachments: list[dict] | None = None) -> TurnHandle:
        """The handle of a turn that will send ``content`` in the current session; from now
        on it is the turn in flight: cancelling it, or a session change, stops it before it
        sends anything. The caller runs it with ``run_turn``."""
        self.failed_content = None
        turn = self.guard.begin_turn(lambda: TurnHandle(content, self.session, attachments))
        turn.reasoning_effort = self.reasoning_effort
        return turn

    def run_turn(self, turn: TurnHandle, sink: Sink | None = None,
                 on_end: Callable[[TurnResult], None] | None = None) -> TurnResult:
        """Run ``turn`` (blocking). Raises ConfigError (nothing sent, nothing written) for a
        bad model or a missing API key. ``sink`` gets the reply's text as it streams;
        ``on_end`` gets the result once the turn has stopped, before ``turn_end`` handlers
        run. Session changes asked for by handlers during the turn run after it."""
        try:
            model = self.resolved_model()
            provider = self.provider_for(model)
            if ad_hoc_base := self.model_name().api_base:
                turn.reply_fields["api_base"] = ad_hoc_base
            result = self.engine.run(turn, model, lambda: provider, self.system(), sink, on_end)
        finally:
            self.guard.end_turn(turn)
        return result

    def send(self, content: object, sink: Sink | None = None,
             on_end: Callable[[TurnResult], None] | None = None) -> TurnResult:
        """Run one turn of ``content`` here and now (``new_turn`` then ``run_turn``)."""
        return self.run_turn(self.new_turn(content), sink, on_end)

    def cancel_turn(self) -> None:
        """Cancel the turn in flight, if any, and wait (bounded) until its reply is written."""
        self.guard.cancel_turn()

    @property
    def turn(self) -> TurnHandle | None:
        """The turn in flight (or about to start), if any."""
        return self.guard.turn

    @property
    def cancel_wait_s(self) -> float:
        """How long a session change waits for the turn in flight to end."""
        return self.guard.cancel_wait_s

    @cancel_wait_s.setter
    def cancel_wait_s(self, seconds: float) -> None:
        self.guard.cancel_wait_s = seconds

    def attach_files(self, text: str, paths: Iterable[str] = ()) -> list[dict]:
        """The attachments of a message about to be sent: ``paths`` (``:attach``) and the
        ``@path`` words of ``text`` that name files, each checked and copied into the session
        (``attachments``); AttachmentError, nothing sent, when one cannot go."""
        names = list(dict.fromkeys([*paths, *mentioned_paths(text, self.cwd)]))
        if not names:
            return []
        images = self.takes_images()
        return [attach(name, self.cwd, images, self.session.store_attachment).record() for name in names]

    def takes_images(self) -> bool:
        """True when the model in use lists "image" in its ``input_modalities``."""
        try:
            return "image" in (self.resolved_model().config.input_modalities or [])
        except ConfigError:
            return False

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

        self.guard.change(take_back)
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

        self.guard.change(cut)
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

        self.guard.change(rewind)

    def undo_rewind(self) -> None:
        """Bring back the turns the last rewind cut (while nothing was sent since)."""
        def undo() -> tuple[str, dict]:
            self.session.undo_rewind()
            if self.ui is not None:
                self.ui.show_session(self.session.messages, reset_mode=False)
                self.ui.set_prompt_text("")
            return "rewind", {"block_idx": None, "restored_text": "", "undo": True}

        self.guard.change(undo)

    def fork(self) -> None:
        """Continue in a copy of the current session; the original stays as it is."""
        def fork() -> tuple[str, dict]:
            parent = self.session
            child = self.store.fork(parent)
            self._switch_to(child)
            return "fork", {"id": child.id, "parent_id": parent.id}

        self.guard.change(fork)

    def reset(self) -> None:
        """Log agent_stop (user_cancel_and_clear) and switch to a new empty session."""
        def reset() -> tuple[str, dict]:
            old_id = self.session.id
            self.session = self.store.reset(self.session)
            if self.ui is not None:
                self.ui.show_session([], reset_mode=True)
            return "reset", {"id": self.session.id, "previous_id": old_id}

        self.guard.change(reset)

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

        self.guard.change(load)

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

    def print_text(self, text: str) -> None:
        """Lua's ``print``: the REPL's output, or stdout when headless (SPEC §5 as amended:
        notify and errors go to stderr there, print to stdout)."""
        if self.ui is not None:
            self.ui.output(text)
        else:
            print(text, flush=True)

    def report_error(self, text: str) -> None:
        """Show one error line: in the scrollback, or on stderr when headless."""
        line = " ".join(text.split()) if "\n" in text else text
        if self.ui is not None:
            self.ui.error(line)
        else:
            print(f"error: {line}", file=sys.stderr, flush=True)

    # -- internals -----------------------------------------------------------------------

    def _switch_to(self, session: Session) -> None:
        old, self.session = self.session, session
        self.session_model = session_model(session.tail.current.messages)  # the tail holds the last reply
        if old is not session:
            old.close()

    def _event_handler_failed(self, name: str, exc: BaseException) -> None:
        self.report_error(f"{name} handler failed: {exc}")
