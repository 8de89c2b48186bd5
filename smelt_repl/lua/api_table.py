"""The ``smelt`` API in one table: a row per function with its Python half, its tier and
what it does. The Lua host binds and guards every row (``bound``); ``:help lua`` lists them.

A row's ``name`` is where the function sits in ``smelt`` (``"session.id"``, ``"notify"``);
``usage`` is how a script writes the call, for the few functions the prelude wraps
(``smelt.settings`` is a table); ``internal`` rows are not in ``smelt`` itself but reached
through what the wrappers return (a Reg's ``remove``) or do (``print``, a task's error).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from smelt_repl.lua.api_config import ConfigApi
from smelt_repl.lua.api_extend import ExtendApi
from smelt_repl.lua.api_session import SessionApi
from smelt_repl.lua.api_session_more import SessionMoreApi
from smelt_repl.lua.api_tasks import TaskApi
from smelt_repl.lua.bindings import Tier


@dataclass(frozen=True)
class ApiFunction:
    """One function of ``smelt``: its place, its Python half (unbound), tier and a line of doc."""

    name: str
    function: Callable[..., Any]
    tier: Tier
    params: str
    doc: str
    usage: str = ""
    internal: bool = False

    @property
    def namespace(self) -> str:
        """``"session"`` for ``session.id``; ``""`` for a top-level function such as ``notify``."""
        return self.name.rpartition(".")[0]

    @property
    def call(self) -> str:
        """How a script calls it: ``smelt.session.rewind_to(block_idx, opts)``."""
        return self.usage or f"smelt.{self.name}{self.params}"


H, UI = Tier.HOST, Tier.UI
S, M, E, C, T = SessionApi, SessionMoreApi, ExtendApi, ConfigApi, TaskApi  # short, so each row fits a line or two
REG = "smelt.{}(...):remove()"

API: tuple[ApiFunction, ...] = (
    ApiFunction("session.id", S.id, UI, "()", "the current session's id"),
    ApiFunction("session.dir", S.dir, UI, "()", "its directory on disk"),
    ApiFunction("session.cwd", S.cwd, UI, "()", "the directory the REPL started in"),
    ApiFunction("session.created_at_ms", S.created_at_ms, UI, "()", "creation time, Unix epoch ms"),
    ApiFunction("session.context_tokens", S.context_tokens, UI, "()",
                "prompt tokens of the latest model call (nil before one)"),
    ApiFunction("session.context_window", S.context_window, UI, "()",
                "the model's context window (nil when undeclared)"),
    ApiFunction("session.cost", S.cost, UI, "()", "USD spent by this session's model calls"),
    ApiFunction("session.tokens", S.tokens, UI, "()",
                "{input, output, cache_read, cache_write, reasoning, total, cache_hit_ratio}"),
    ApiFunction("session.turns", S.turns, UI, "()", "user turns of the live history: {block_idx, label} rows"),
    ApiFunction("session.system", S.system, UI, "()", "the exact system prompt of the next request"),
    ApiFunction("session.rewind_to", S.rewind_to, UI, "(block_idx, opts)",
                "cut the history at a user turn, its text back in the prompt (opts.restore_vim_insert)"),
    ApiFunction("session.fork", S.fork, UI, "()", "continue in a copy of this session"),
    ApiFunction("session.reset", S.reset, UI, "()", "switch to a new empty session"),
    ApiFunction("session.list", S.list, UI, "({limit, cursor, cwd})",
                "saved sessions but this one, newest first; with opts one page: {entries, next_cursor}"),
    ApiFunction("session.load", S.load, UI, "(id)", "switch to a saved session"),
    ApiFunction("session.delete", S.delete, UI, "(id)", "delete a saved session (never the current one)"),
    ApiFunction("session.text", S.text, UI, "(id)", "a session's searchable text (nil when there is none)"),
    ApiFunction("session.texts", S.texts, UI, "(ids)", "searchable texts of many sessions, by id"),
    ApiFunction("session.title", S.title, UI, "()", "the session's title (nil when it has none)"),
    ApiFunction("session.messages", S.messages, UI, "()", "the live history: {role, content} rows, content as text"),
    ApiFunction("session.messages.list", S.messages, UI, "()", "smelt's newer spelling of session.messages()"),
    ApiFunction("session.title.get", S.title, UI, "()", "smelt's newer spelling of session.title()"),
    ApiFunction("session.model_messages", M.model_messages, UI, "()",
                "what the next request sends: the checkpoint's summary (a user row), then the live messages"),
    ApiFunction("session.checkpoint", M.checkpoint, UI, "({summary, first_live_message_index, kind})",
                "let summary stand for the model_messages() rows before the index (0: none); kind default \"manual\""),
    ApiFunction("session.set_title", M.set_title, UI, "(title)", "name this session (nil clears it)"),
    ApiFunction("session.set_title_for_history", M.set_title_for_history, UI, "(title, slug, history_len)",
                "set the title only while the history still has history_len messages"),
    ApiFunction("session.conversation", M.conversation, UI, "({limit|since_index|all})",
                "user and assistant rows {index, role, content}; the last 20 by default"),
    ApiFunction("session.info", M.info, UI, "()",
                "{id, title, created_at_ms, updated_at_ms, cwd, dir, parent_id, model, message_count, cost, tokens}"),
    ApiFunction("session.status", M.status, UI, "()", "{model, provider, api_base, context = {tokens, window}, cost}"),
    ApiFunction("session.context_note", M.context_note, UI, "(name, text)",
                "a named note in later requests' system prompt (nil text removes it)"),
    ApiFunction("session.tree", M.tree, H, "(entries, {order})",
                "entries depth first by parent_id, with depth and tree_prefix (pure: works headless)"),
    ApiFunction("cmd.register", E.cmd_register, H, "(name, fn, {desc, hidden})",
                "add the meta-command :name; fn(args or nil) runs it; returns a Reg"),
    ApiFunction("cmd.remove", E.cmd_remove, H, "", "undo smelt.cmd.register",
                usage=REG.format("cmd.register"), internal=True),
    ApiFunction("cmd.list", E.cmd_list, H, "()", "the Lua commands: {name, desc} rows"),
    ApiFunction("cmd.run", E.cmd_resolve, UI, "(line)", 'run "fork", "/fork" or ":fork" (Lua or built-in) as if typed'),
    ApiFunction("events.on", E.events_on, H, "(name, fn)",
                "call fn(payload) on each event name; returns a Reg (also callable: off())"),
    ApiFunction("events.off", E.events_off, H, "", "unsubscribe: the Reg of smelt.events.on",
                usage=REG.format("events.on"), internal=True),
    ApiFunction("events.emit", E.events_emit, H, "(name, payload)", "fire an event with a table payload"),
    ApiFunction("keymap.set", E.keymap_set, UI, "(mode, keys, fn, {desc})",
                'bind keys (vim notation) in mode "n", "i", "v" or "" to fn; returns a Reg'),
    ApiFunction("keymap.remove", E.keymap_remove, UI, "", "undo smelt.keymap.set",
                usage=REG.format("keymap.set"), internal=True),
    ApiFunction("provider.register", C.provider_register, H, "(name, spec)",
                "declare a model provider; returns a Reg"),
    ApiFunction("provider.remove", C.provider_remove, H, "", "undo smelt.provider.register",
                usage=REG.format("provider.register"), internal=True),
    ApiFunction("provider.list", C.provider_list, H, "()",
                "{name, type, api_base, api_key_env, models} rows, models as names"),
    ApiFunction("model.get", C.model_get, H, "()", '"provider/model" of the next request'),
    ApiFunction("model.set", C.model_set, H, "(name)", "switch model, as :model NAME"),
    ApiFunction("settings.get", C.settings_get, H, "", "read a setting (:help settings); model: the one in use",
                usage="smelt.settings.NAME"),
    ApiFunction("settings.set", C.settings_set, H, "", "write a setting (type-checked; nil removes it)",
                usage="smelt.settings.NAME = value"),
    ApiFunction("settings.keys", C.settings_keys, H, "", "every setting with its value",
                usage="pairs(smelt.settings)"),
    ApiFunction("system.append", C.system_append, H, "(text)", "add a section to the system prompt"),
    ApiFunction("notify", E.notify, H, "(msg, {level})", 'write a line to the REPL (level = "warn" or "error")'),
    ApiFunction("notify.info", E.notify, H, "(msg)", "as smelt.notify(msg)"),
    ApiFunction("notify.warn", E.notify_warn, H, "(msg)", "a warning line"),
    ApiFunction("notify.error", E.notify_error, H, "(msg)", "an error line"),
    ApiFunction("notify_error", E.notify_error, H, "(msg)", "an error line"),
    ApiFunction("print", E.print_text, H, "", "the REPL's output (stdout headless)", usage="print(...)",
                internal=True),
    ApiFunction("spawn", T.spawn, H, "", "run fn as a task (a coroutine that may wait)", usage="smelt.spawn(fn)"),
    ApiFunction("sleep", T.sleep, H, "", "inside a task: wait ms milliseconds", usage="smelt.sleep(ms)"),
    ApiFunction("task.failed", T.task_failed, H, "", "a task's error is one error line",
                usage="error(msg) in a task", internal=True),
    ApiFunction("ui.dialog.open", T.dialog_open, UI, "",
                'inside a task: pick an option; {action, option_index, inputs} ("dismiss" on Esc)',
                usage="smelt.ui.dialog.open({title, panels})"),
    ApiFunction("clipboard", T.clipboard_write, H, "(text)", "copy text (OSC 52 and the system tool)"),
    ApiFunction("clipboard.write", T.clipboard_write, H, "(text)", "as smelt.clipboard(text)"),
)


def names(namespace: str) -> tuple[str, ...]:
    """The function names of one namespace, as a script sees them (``"id"`` for ``session.id``)."""
    return tuple(f.name.rpartition(".")[2] for f in API if f.namespace == namespace)


def bound(halves: Iterable[object]) -> Iterator[tuple[ApiFunction, Callable[..., Any]]]:
    """Every row of ``API`` with its function bound to the one of ``halves`` (a SessionApi,
    ExtendApi, ConfigApi instance) whose class defines it."""
    halves = list(halves)
    for row in API:
        owner = next((h for h in halves if getattr(type(h), row.function.__name__, None) is row.function), None)
        if owner is None:
            raise LookupError(f"no API half given for smelt.{row.name}")
        yield row, getattr(owner, row.function.__name__)
