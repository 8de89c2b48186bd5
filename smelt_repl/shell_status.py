"""What the shell's status line shows: the facts gathered at draw time, a hint that fades,
and the spinner that redraws it while a reply is awaited (``status.py`` lays it out)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from prompt_toolkit.formatted_text import StyleAndTextTuples

from smelt_repl.status import StatusFacts, activity_text, mode_label, status_fragments, status_text
from smelt_repl.turn_runner import ENDING, WAITING

if TYPE_CHECKING:
    from smelt_repl.shell import Shell

HINT_SECONDS = 4.0


class StatusLine:
    """The status line of one shell."""

    def __init__(self, shell: Shell) -> None:
        self._shell = shell
        self._hint: tuple[str, float] = ("", 0.0)
        self._spinning = False

    def hint(self, text: str) -> None:
        """Show a short message in the status line for a few seconds."""
        self._hint = (text, time.monotonic())
        application = self._shell.application
        application.invalidate()
        if application.is_running and application.loop is not None:
            application.loop.call_later(HINT_SECONDS + 0.05, application.invalidate)

    def facts(self) -> StatusFacts:
        """What the status line shows now."""
        from smelt_repl.app import ConfigError

        app = self._shell.app
        try:
            model = app.resolved_model()
            model_key, window = model.key, model.config.context_window
        except ConfigError:
            model_key, window = "(bad model)", None
        session = app.session
        return StatusFacts(model_key, mode_label(self._shell.application), session.context_tokens(), window,
                           session.cost(), self._activity(), session.title or "")

    def text(self) -> str:
        """The status line as plain text."""
        return status_text(self.facts())

    def fragments(self) -> StyleAndTextTuples:
        """The status line as prompt_toolkit fragments."""
        return status_fragments(self.facts())  # type: ignore[return-value]

    async def spin(self) -> None:
        """Redraw while a reply is awaited (the spinner moves); one spinner at a time."""
        if self._spinning:
            return
        self._spinning = True
        runner = self._shell.runner
        try:
            while runner.busy:  # queued messages wait for their first token too
                if runner.phase in (WAITING, ENDING):
                    self._shell.application.invalidate()
                await asyncio.sleep(0.1)
        finally:
            self._spinning = False
        self._shell.application.invalidate()

    def _activity(self) -> str:
        text, at = self._hint
        hint = text if time.monotonic() - at < HINT_SECONDS else ""
        host = self._shell.host
        return activity_text(self._shell.runner.phase, host is not None and host.running, hint)
