"""Extending the REPL from Lua: ``smelt.cmd`` (meta-commands), ``smelt.events``,
``smelt.keymap`` and the output (``smelt.notify``, ``notify_error``, ``print``).

Handlers that scripts hand over (commands, event handlers, keymaps) are always run through
``run_handler``, which isolates and reports their errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lupa.lua54 as lua54

from smelt_repl.keynotation import KeyNotationError, check_keymap_mode, parse_keys
from smelt_repl.lua.bindings import LuaApiError
from smelt_repl.lua.convert import ConversionError, from_lua, lua_string, lua_type_name, to_lua
from smelt_repl.lua.registries import CommandRegistry, Subscriptions, split_command_line

RunHandler = Callable[..., bool]  # run_handler(lua_fn, *args) -> ran without error
Defer = Callable[[Callable[[], None]], None]  # run now, or when the thread inside Lua is done


def _function(value: Any, what: str) -> Any:
    """``value`` if it is a Lua function, else a ConversionError naming ``what``."""
    if lua54.lua_type(value) != "function":
        raise ConversionError(f"{what} must be a function, got {lua_type_name(value)}")
    return value


def _options(opts: Any, what: str) -> dict:
    """An optional options table as a dict ({} for nil)."""
    options = from_lua(opts) if opts is not None else {}
    if options == []:
        return {}
    if not isinstance(options, dict):
        raise ConversionError(f"{what}: opts must be a table with named fields, got {lua_type_name(opts)}")
    return options


def _desc(opts: Any, what: str) -> str:
    """The ``desc`` of an optional options table ("" when absent)."""
    desc = _options(opts, what).get("desc", "")
    return desc if isinstance(desc, str) else str(desc)


class ExtendApi:
    """The Python half of ``smelt.cmd``, ``smelt.events``, ``smelt.keymap`` and ``smelt.notify``."""

    def __init__(self, app: Any, lua: lua54.LuaRuntime, commands: CommandRegistry,
                 subscriptions: Subscriptions, run_handler: RunHandler, defer: Defer) -> None:
        self.app = app
        self.lua = lua
        self.commands = commands
        self.subscriptions = subscriptions
        self.run_handler = run_handler
        self.defer = defer
        self._tokens = 0
        self._command_tokens: dict[str, int] = {}

    # -- commands ---------------------------------------------------------------------------

    def cmd_register(self, name: Any = None, handler: Any = None, opts: Any = None) -> Any:
        """``smelt.cmd.register(name, handler, {desc, while_busy, args, hidden})``; returns
        ``{name, token}`` for its Reg."""
        options = _options(opts, "smelt.cmd.register")
        command = self.commands.register(lua_string(name, "smelt.cmd.register: name"),
                                         _function(handler, "smelt.cmd.register: handler"),
                                         _desc(opts, "smelt.cmd.register"), hidden=bool(options.get("hidden")))
        self._tokens += 1
        self._command_tokens[command.name] = self._tokens
        return to_lua(self.lua, [command.name, self._tokens])

    def cmd_remove(self, name: Any = None, token: Any = None) -> None:
        """``reg:remove()`` of a command: drop it if it was not registered again since."""
        if isinstance(name, str) and self._command_tokens.get(name) == token:
            del self._command_tokens[name]
            self.commands.remove(name)

    def cmd_list(self) -> Any:
        """``smelt.cmd.list()``: rows ``{name, desc}`` sorted by name."""
        return to_lua(self.lua, [{"name": c.name, "desc": c.desc} for c in self.commands.all()])

    def cmd_resolve(self, line: Any = None) -> Any:
        """Back end of ``smelt.cmd.run(line)`` (``fork``, ``/fork`` or ``:fork``): a Lua command
        comes back to be called in Lua (it wins over a built-in, as on the command line; its
        errors reach the caller); a built-in runs in the UI (its errors come back as Lua errors)."""
        text = lua_string(line, "smelt.cmd.run: line").strip()
        name, args = split_command_line(text[1:] if text.startswith("/") else text)
        if not name:
            raise LuaApiError("smelt.cmd.run: empty command line")
        command = self.commands.get(name)
        if command is not None:
            return to_lua(self.lua, {"handler": command.handler, "args": args or None})
        if self.app.ui.run_builtin(name, args):
            return None
        raise LuaApiError(f"unknown command :{name}")

    # -- events -----------------------------------------------------------------------------

    def events_on(self, name: Any = None, handler: Any = None) -> int:
        """``smelt.events.on(name, fn)``: fn(payload) runs isolated; returns a handle."""
        event = lua_string(name, "smelt.events.on: name")
        fn = _function(handler, "smelt.events.on: handler")
        lua = self.lua

        def on_event(payload: dict) -> None:
            snapshot = dict(payload)
            self.defer(lambda: self.run_handler(fn, to_lua(lua, snapshot)))

        return self.subscriptions.add(self.app.events.on(event, on_event))

    def events_off(self, handle: Any = None) -> None:
        """Unsubscribe (the function ``smelt.events.on`` returns calls this)."""
        if isinstance(handle, int):
            self.subscriptions.remove(handle)

    def events_emit(self, name: Any = None, payload: Any = None) -> None:
        """``smelt.events.emit(name, payload)``: payload crosses as plain data."""
        event = lua_string(name, "smelt.events.emit: name")
        data = from_lua(payload) if payload is not None else {}
        if not isinstance(data, dict):
            raise ConversionError(f"smelt.events.emit: payload must be a table, got {lua_type_name(payload)}")
        self.app.events.emit(event, data)

    # -- keymaps ----------------------------------------------------------------------------

    def keymap_set(self, mode: Any = None, keys: Any = None, handler: Any = None, opts: Any = None) -> None:
        """``smelt.keymap.set(mode, keys, fn, {desc=})``: mode "n", "i", "v", "" (every mode)
        or smelt's long names; keys in Vim notation."""
        mode = lua_string(mode, "smelt.keymap.set: mode")
        try:
            check_keymap_mode(mode)
        except KeyNotationError as exc:
            raise LuaApiError(f"smelt.keymap.set: {exc}") from None
        keys = lua_string(keys, "smelt.keymap.set: keys")
        if not keys:
            raise LuaApiError("smelt.keymap.set: keys must not be empty")
        try:  # an unknown <name> is an error now, whatever UI there is
            parse_keys(keys, str(self.app.settings.get("leader") or "\\"))
        except KeyNotationError as exc:
            raise LuaApiError(f"smelt.keymap.set: {exc}") from None
        fn = _function(handler, "smelt.keymap.set: handler")

        def action(*_event: Any) -> None:
            self.run_handler(fn)

        self.app.ui.add_keymap(mode, keys, action, _desc(opts, "smelt.keymap.set") or None)

    def keymap_remove(self, mode: Any = None, keys: Any = None) -> None:
        """``reg:remove()`` of a keymap (the UI's ``remove_keymap``)."""
        remove = getattr(self.app.ui, "remove_keymap", None)
        if remove is None:
            raise LuaApiError("smelt.keymap: removing a keymap is not supported by this UI yet")
        remove(lua_string(mode, "keymap mode"), lua_string(keys, "keymap keys"))

    # -- output -----------------------------------------------------------------------------

    def notify(self, message: Any = None, opts: Any = None) -> None:
        """``smelt.notify(msg, {level=})``: the REPL's output, stderr headless."""
        text = message if isinstance(message, str) else str(message)
        level = _options(opts, "smelt.notify").get("level")
        if level == "error":
            self.app.report_error(text)
        else:
            self.app.notify(f"warning: {text}" if level in ("warn", "warning") else text)

    def notify_error(self, message: Any = None) -> None:
        """``smelt.notify_error(msg)``: one error line."""
        self.app.report_error(message if isinstance(message, str) else str(message))

    def notify_warn(self, message: Any = None) -> None:
        """``smelt.notify.warn(msg)``: a ``warning:`` line."""
        self.app.notify(f"warning: {message if isinstance(message, str) else str(message)}")

    def print_text(self, text: Any = None) -> None:
        """Lua's ``print``: the REPL's output, stdout headless."""
        self.app.print_text(text if isinstance(text, str) else str(text))
