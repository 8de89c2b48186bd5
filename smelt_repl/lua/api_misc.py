"""The Host-tier parts of ``smelt`` (cmd, events, provider, settings, system, notify) and
the UiHost-tier ``cmd.run`` and ``keymap.set``.

Handlers that scripts hand over (commands, event handlers, keymaps) are always run through
``run_handler``, which isolates and reports their errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import lupa.lua54 as lua54

from smelt_repl.lua.bindings import LuaApiError, Tier
from smelt_repl.lua.convert import ConversionError, from_lua, lua_string, lua_type_name, to_lua
from smelt_repl.lua.registries import CommandRegistry, Subscriptions, split_command_line

if TYPE_CHECKING:
    from collections.abc import Iterable

RunHandler = Callable[..., bool]  # run_handler(lua_fn, *args) -> ran without error
Defer = Callable[[Callable[[], None]], None]  # run now, or when the thread inside Lua is done

# Settings the program reads, with the Python types they must have.
SETTING_TYPES: dict[str, tuple[type, ...]] = {
    "model": (str,),
    "system_prompt": (str,),
    "vim": (bool,),
    "restore_vim_insert": (bool,),
    "lua_budget": (int,),
}

KEYMAP_MODES = ("n", "i")


def _function(value: Any, what: str) -> Any:
    """``value`` if it is a Lua function, else a ConversionError naming ``what``."""
    if lua54.lua_type(value) != "function":
        raise ConversionError(f"{what} must be a function, got {lua_type_name(value)}")
    return value


def _desc(opts: Any, what: str) -> str:
    """The ``desc`` of an optional options table ("" when absent)."""
    options = from_lua(opts) if opts is not None else {}
    if not isinstance(options, dict):
        raise ConversionError(f"{what}: opts must be a table with named fields, got {lua_type_name(opts)}")
    desc = options.get("desc", "")
    return desc if isinstance(desc, str) else str(desc)


def _checked_setting(key: str, value: Any) -> Any:
    """``value`` for setting ``key``, or a LuaApiError when a known setting gets the wrong type."""
    wanted = SETTING_TYPES.get(key)
    if wanted is None:
        return value
    if wanted == (int,) and isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, wanted) or (bool not in wanted and isinstance(value, bool)):
        names = " or ".join(lua_type_name(t()) for t in wanted)
        raise LuaApiError(f"smelt.settings.{key} must be a {names}, got {lua_type_name(value)}")
    if key == "lua_budget" and value < 0:
        raise LuaApiError("smelt.settings.lua_budget must be >= 0 (0: no budget)")
    return value


class HostApi:
    """The Python half of ``smelt.cmd/events/keymap/provider/settings/system/notify``."""

    def __init__(self, app: Any, lua: lua54.LuaRuntime, commands: CommandRegistry,
                 subscriptions: Subscriptions, run_handler: RunHandler, defer: Defer) -> None:
        self.app = app
        self.lua = lua
        self.commands = commands
        self.subscriptions = subscriptions
        self.run_handler = run_handler
        self.defer = defer

    def functions(self) -> Iterable[tuple[str, Callable[..., Any], Tier]]:
        """(``ns.name``, implementation, tier) for every function of this part of the API."""
        host, ui = Tier.HOST, Tier.UI
        return [
            ("cmd.register", self.cmd_register, host), ("cmd.list", self.cmd_list, host),
            ("cmd.run", self.cmd_resolve, ui), ("events.on", self.events_on, host),
            ("events.off", self.events_off, host), ("events.emit", self.events_emit, host),
            ("keymap.set", self.keymap_set, ui), ("provider.register", self.provider_register, host),
            ("settings.get", self.settings_get, host), ("settings.set", self.settings_set, host),
            ("settings.keys", self.settings_keys, host), ("system.append", self.system_append, host),
            ("notify", self.notify, host),
        ]

    # -- commands ---------------------------------------------------------------------------

    def cmd_register(self, name: Any = None, handler: Any = None, opts: Any = None) -> None:
        """``smelt.cmd.register(name, handler, {desc=...})``."""
        self.commands.register(lua_string(name, "smelt.cmd.register: name"),
                               _function(handler, "smelt.cmd.register: handler"),
                               _desc(opts, "smelt.cmd.register"))

    def cmd_list(self) -> Any:
        """``smelt.cmd.list()``: rows ``{name, desc}`` sorted by name."""
        return to_lua(self.lua, [{"name": c.name, "desc": c.desc} for c in self.commands.all()])

    def cmd_resolve(self, line: Any = None) -> Any:
        """Back end of ``smelt.cmd.run(line)``: a built-in command runs in the UI (its errors
        come back as Lua errors); a Lua command comes back to be called in Lua (its errors
        reach the caller too)."""
        name, args = split_command_line(lua_string(line, "smelt.cmd.run: line"))
        if not name:
            raise LuaApiError("smelt.cmd.run: empty command line")
        if self.app.ui.run_builtin(name, args):  # built-ins win, as on the command line
            return None
        command = self.commands.get(name)
        if command is not None:
            return to_lua(self.lua, {"handler": command.handler, "args": args})
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
        """``smelt.keymap.set(mode, keys, fn, {desc=})``: mode "n" (normal) or "i" (insert)."""
        mode = lua_string(mode, "smelt.keymap.set: mode")
        if mode not in KEYMAP_MODES:
            raise LuaApiError(f'smelt.keymap.set: mode must be "n" or "i", got {mode!r}')
        keys = lua_string(keys, "smelt.keymap.set: keys")
        if not keys:
            raise LuaApiError("smelt.keymap.set: keys must not be empty")
        fn = _function(handler, "smelt.keymap.set: handler")

        def action(*_event: Any) -> None:
            self.run_handler(fn)

        self.app.ui.add_keymap(mode, keys, action, _desc(opts, "smelt.keymap.set") or None)

    # -- providers, settings, system prompt, output -----------------------------------------

    def provider_register(self, name: Any = None, spec: Any = None) -> None:
        """``smelt.provider.register(name, spec)``: checked by the providers package."""
        from smelt_repl.providers.spec import parse_provider_spec

        provider = lua_string(name, "smelt.provider.register: name")
        raw = from_lua(spec)
        if not isinstance(raw, dict):
            raise ConversionError(f"smelt.provider.register: spec must be a table, got {lua_type_name(spec)}")
        self.app.providers[provider] = parse_provider_spec(provider, raw)

    def settings_get(self, key: Any = None) -> Any:
        """Read ``smelt.settings[key]`` (a copy for tables)."""
        return to_lua(self.lua, self.app.settings.get(key)) if isinstance(key, str) else None

    def settings_set(self, key: Any = None, value: Any = None) -> None:
        """Write ``smelt.settings[key] = value``; nil removes the key."""
        key = lua_string(key, "smelt.settings: key")
        if value is None:
            self.app.settings.pop(key, None)
        else:
            self.app.settings[key] = _checked_setting(key, from_lua(value))

    def settings_keys(self) -> Any:
        """Keys of the settings, sorted (for ``pairs(smelt.settings)``)."""
        return to_lua(self.lua, sorted(k for k in self.app.settings if isinstance(k, str)))

    def system_append(self, text: Any = None) -> None:
        """``smelt.system.append(text)``: a section of the next system prompt."""
        self.app.system_sections.append(lua_string(text, "smelt.system.append: text"))

    def notify(self, message: Any = None, opts: Any = None) -> None:
        """``smelt.notify(msg, {level=})`` and ``print``: the REPL's output, stderr headless."""
        text = message if isinstance(message, str) else str(message)
        options = from_lua(opts) if opts is not None else {}
        if isinstance(options, dict) and options.get("level") == "error":
            self.app.report_error(text)
        else:
            self.app.notify(text)
