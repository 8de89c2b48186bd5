"""The application core: the current session, the model, and every operation of SPEC §4.

``App`` is the one place where operations such as rewind, fork, reset and load live, so
the shell (keys, meta-commands) and the Lua host (``smelt.session.*``) behave the same.
It talks to the terminal only through the ``UiHost`` interface (``None`` when headless)
and announces what happened on its ``EventBus``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from smelt_repl.engine import ChatEngine, Sink, TurnResult
from smelt_repl.events import EventBus
from smelt_repl.providers import ProviderSpec, ResolvedModel, make_provider, resolve_model
from smelt_repl.session_core import Session, SessionStore
from smelt_repl.system_prompt import DEFAULT_SYSTEM_PROMPT, assemble_system_prompt
from smelt_repl.ui_host import UiHost

DEFAULT_SETTINGS: dict[str, Any] = {
    "model": None,  # "provider/model"; None means the offline responder
    "system_prompt": DEFAULT_SYSTEM_PROMPT,  # nil/None also means this built-in default
    "vim": True,
    "restore_vim_insert": True,
}


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
        self.settings: dict[str, Any] = dict(DEFAULT_SETTINGS)
        self.providers: dict[str, ProviderSpec] = {}
        self.system_sections: list[str] = []
        self.events = EventBus(on_error=self._event_handler_failed)
        self.engine = ChatEngine(self.events)
        self.session: Session = store.new_session(self.cwd)

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
        self.engine.cancel()
        self.events.emit("shutdown", {"id": self.session.id})
        self.session.close()

    # -- model and prompt ----------------------------------------------------------------

    def resolved_model(self) -> ResolvedModel:
        """The model of the next request: --model, else $SMELT_MODEL, else settings.model."""
        name = self.model_flag or self.env.get("SMELT_MODEL") or self.settings.get("model")
        try:
            return resolve_model(name, self.api_base, self.providers)
        except ValueError as exc:
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

    def send(self, content: object, sink: Sink | None = None,
             on_end: Callable[[TurnResult], None] | None = None) -> TurnResult:
        """Run one turn. Raises ConfigError (nothing sent, nothing written) for a bad model.

        ``sink`` gets the reply's text as it streams; ``on_end`` gets the result once the
        turn has stopped, before ``turn_end`` handlers run.
        """
        model = self.resolved_model()
        return self.engine.run_turn(self.session, model, lambda: make_provider(model, self.env),
                                    self.system(), content, sink, on_end)

    def cancel_turn(self) -> None:
        """Cancel the turn in flight, if any, and wait for it to stop; with a UI, until the
        UI has printed the end of its reply too, so what the caller shows next comes after."""
        if self.ui is not None:
            self.ui.cancel_turn()
        else:
            self.engine.cancel()

    # -- history edits -------------------------------------------------------------------

    def rewind_to(self, block_idx: int | None, restore_vim_insert: bool = False) -> None:
        """Cut the history at a user turn and put its text back in the prompt (SPEC §4).

        A ``block_idx`` that is not a user turn raises SessionRefused before anything,
        even a turn in flight, is touched.
        """
        self.session.rewind_target(block_idx)
        self.cancel_turn()
        result = self.session.rewind_to(block_idx)
        if self.ui is not None:
            self.ui.show_session(self.session.messages, reset_mode=False)
            self.ui.set_prompt_text(result.restored_text)
            if restore_vim_insert:
                self.ui.enter_vim_insert()
        self.events.emit("rewind", {"block_idx": result.block_idx, "restored_text": result.restored_text})

    def undo_rewind(self) -> None:
        """Bring back the turns the last rewind cut (while nothing was sent since)."""
        self.cancel_turn()
        self.session.undo_rewind()
        if self.ui is not None:
            self.ui.show_session(self.session.messages, reset_mode=False)
            self.ui.set_prompt_text("")
        self.events.emit("rewind", {"block_idx": None, "restored_text": "", "undo": True})

    def fork(self) -> None:
        """Continue in a copy of the current session; the original stays as it is."""
        self.cancel_turn()
        child = self.store.fork(self.session)
        parent = self.session
        self._switch_to(child)
        self.events.emit("fork", {"id": child.id, "parent_id": parent.id})

    def reset(self) -> None:
        """Log agent_stop (user_cancel_and_clear) and switch to a new empty session."""
        self.cancel_turn()
        old_id = self.session.id
        self.session = self.store.reset(self.session)
        if self.ui is not None:
            self.ui.show_session([], reset_mode=True)
        self.events.emit("reset", {"id": self.session.id, "previous_id": old_id})

    # -- other sessions ------------------------------------------------------------------

    def load(self, session_id: str) -> None:
        """Switch to a persisted session (id or unique prefix) and replay it on screen."""
        target = self.store.resolve(session_id)
        if target == self.session.id:
            return
        self.cancel_turn()
        opened = self.store.open(target)
        self._switch_to(opened)
        opened.record_event("load")
        if self.ui is not None:
            self.ui.show_session(opened.messages, reset_mode=True)
        self.events.emit("session_load", {"id": opened.id})

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

    def _switch_to(self, session: Session) -> None:
        old, self.session = self.session, session
        if old is not session:
            old.close()

    def _event_handler_failed(self, name: str, exc: BaseException) -> None:
        self.report_error(f"{name} handler failed: {exc}")
