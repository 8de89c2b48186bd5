"""Tasks and what waits inside them: ``smelt.spawn``, ``smelt.sleep``, ``smelt.ui.dialog.open``;
and ``smelt.clipboard``.

A task is a Lua coroutine (``lua.compat`` keeps them). What it waits for (a timer, a picked
choice) resumes it later through ``resume(task_id, value)``: the host's guarded call of the
Lua resumer, posted to the UI thread when there is one and always queued behind any Lua
running now (``LuaRuntimeBox.run_later``), so Lua is never entered from two threads at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import lupa.lua54 as lua54

from smelt_repl import clipboard
from smelt_repl.lua.bindings import LuaApiError
from smelt_repl.lua.convert import from_lua, lua_string, lua_type_name

MAX_SLEEP_MS = 24 * 3600 * 1000


class Pending:
    """How many task resumes are still to come (a timer or a dialog each)."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def add(self) -> None:
        with self._idle:
            self._count += 1

    def done(self) -> None:
        with self._idle:
            self._count -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until none is to come (headless: before the program exits); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout)


class TaskApi:
    """The Python half of ``smelt.spawn``, ``smelt.sleep``, ``smelt.ui.dialog`` and ``smelt.clipboard``."""

    def __init__(self, app: Any, lua: lua54.LuaRuntime, run_later: Callable[[Callable[[], None]], None],
                 call: Callable[..., bool]) -> None:
        self.app = app
        self.lua = lua
        self.run_later = run_later
        self.call = call
        self.resumer: Any = None  # the Lua function resume(task_id, value), set once installed
        self._next = 0
        self.pending = Pending()

    # -- tasks ------------------------------------------------------------------------------

    def spawn(self) -> int:
        """``smelt.spawn(fn)``: a new task id (the coroutine lives in Lua)."""
        self._next += 1
        return self._next

    def sleep(self, task_id: Any = None, ms: Any = None) -> None:
        """``smelt.sleep(ms)``: resume the task after ``ms`` milliseconds."""
        if not isinstance(ms, (int, float)) or isinstance(ms, bool) or not 0 <= ms <= MAX_SLEEP_MS:
            raise LuaApiError(f"smelt.sleep: ms must be a number from 0 to {MAX_SLEEP_MS}, got {ms!r}")
        self.pending.add()
        timer = threading.Timer(ms / 1000, lambda: self._resume(task_id, None))
        timer.daemon = True
        timer.start()

    def task_failed(self, message: Any = None) -> None:
        """A task ended with an error: one line."""
        self.app.report_error(message if isinstance(message, str) else str(message))

    def _resume(self, task_id: int, value: Any) -> None:
        """Resume a waiting task with ``value`` (from any thread)."""
        def enter() -> None:
            try:
                self.call(self.resumer, task_id, value)
            finally:
                self.pending.done()

        post = getattr(self.app.ui, "on_ui", None)
        if post is not None:
            post(lambda: self.run_later(enter))
        else:
            self.run_later(enter)


    # -- dialogs ----------------------------------------------------------------------------

    def dialog_open(self, task_id: Any = None, spec: Any = None) -> None:
        """``smelt.ui.dialog.open{title, panels}``: an options panel as the REPL's picker, then
        each input panel as a question on the line under the prompt; the task gets
        ``{action, option_index, inputs}`` (action "dismiss" on Esc)."""
        if task_id is None:
            raise LuaApiError("smelt.ui.dialog.open: call from inside smelt.spawn(fn)")
        title, items, inputs = _dialog_spec(from_lua(spec), lua_type_name(spec))
        self.pending.add()
        _Dialog(self.app.ui, title, items, inputs, lambda answer: self._resume(task_id, answer)).start()

    # -- clipboard --------------------------------------------------------------------------

    def clipboard_write(self, text: Any = None) -> None:
        """``smelt.clipboard.write(text)`` (or ``smelt.clipboard(text)``): OSC 52 to the
        terminal when there is one, and the system's clipboard tool."""
        value = lua_string(text, "smelt.clipboard: text")
        send = getattr(self.app.ui, "send_to_terminal", None)
        clipboard.copy(value, send or (lambda _control: None))


def _dialog_spec(raw: Any, type_name: str) -> tuple[str, list[dict], list[dict]]:
    """(title, option items, input panels) of a dialog spec; LuaApiError when it has neither."""
    if not isinstance(raw, dict):
        raise LuaApiError(f"smelt.ui.dialog.open: spec must be a table, got {type_name}")
    panels = raw.get("panels") or []
    panels = [p for p in (panels if isinstance(panels, list) else [panels]) if isinstance(p, dict)]
    inputs = [p for p in panels if p.get("kind") == "input"]
    items = [item for p in panels if p.get("kind") == "options" for item in (p.get("items") or [])]
    if not items and not inputs:
        raise LuaApiError("smelt.ui.dialog.open: needs an options panel with items {label = ...} or an input panel")
    if not all(isinstance(i, dict) and "label" in i for i in items):
        raise LuaApiError("smelt.ui.dialog.open: every option item needs a label")
    return str(raw.get("title") or ""), items, inputs


class _Dialog:
    """One open dialog: the options as a picker, then one question per input panel."""

    def __init__(self, ui: Any, title: str, items: list[dict], inputs: list[dict],
                 answer: Callable[[dict], None]) -> None:
        self.ui, self.title, self.items, self.inputs = ui, title, items, inputs
        self._answer = answer
        self._done = False

    def start(self) -> None:
        from smelt_repl.pickers import Choice

        post = getattr(self.ui, "on_ui", lambda f: f())
        if self.items:
            choices = [Choice(str(item["label"]), index) for index, item in enumerate(self.items, 1)]
            post(lambda: self.ui.open_picker(self.title, choices, self._picked, 0, on_dismiss=self.dismiss))
        else:
            post(lambda: self._ask({"action": "submit"}, 0, {}))

    def dismiss(self) -> None:
        self._finish({"action": "dismiss", "inputs": {}})

    def _picked(self, index: int) -> None:
        action = self.items[index - 1].get("action")
        self._ask({"action": action if isinstance(action, str) else "select", "option_index": index}, 0, {})

    def _ask(self, answer: dict, index: int, answers: dict) -> None:
        if index == len(self.inputs):
            self._finish({**answer, "inputs": answers})
            return
        panel = self.inputs[index]
        name = str(panel.get("name") or f"input{index + 1}")
        label = str(panel.get("label") or panel.get("placeholder") or name)
        self.ui.ask(label, lambda text: self._ask(answer, index + 1, {**answers, name: text}), self.dismiss)

    def _finish(self, answer: dict) -> None:
        if not self._done:
            self._done = True
            self._answer(answer)
