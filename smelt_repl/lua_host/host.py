"""``LuaHost``: the one Lua runtime of the program, its ``smelt`` table, and the entry points
the shell and the CLI use (commands, ``:lua``, files, config).

Every entry into Lua is guarded: an error is reported through ``app.report_error`` as one
line ``file:line: message`` and never raises into the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from smelt_repl.lua_host import config
from smelt_repl.lua_host.api_misc import HostApi
from smelt_repl.lua_host.api_session import SessionApi
from smelt_repl.lua_host.bindings import Tier, guard
from smelt_repl.lua_host.convert import format_lua_value, from_lua
from smelt_repl.lua_host.registries import CommandRegistry, Subscriptions, split_command_line
from smelt_repl.lua_host.runtime import DEFAULT_BUDGET, DEFAULT_MAX_MEMORY, CallResult, LuaRuntimeBox


class LuaHost:
    """Owns the sandboxed runtime and adapts the App to Lua (``smelt.*``) and Lua to the shell."""

    def __init__(self, app: Any, *, max_memory: int | None = DEFAULT_MAX_MEMORY) -> None:
        self.app = app
        app.settings.setdefault("lua_budget", DEFAULT_BUDGET)  # visible to scripts as smelt.settings.lua_budget
        self.runtime = LuaRuntimeBox(max_memory=max_memory, budget=self._budget)
        self.commands_registry = CommandRegistry()
        self.subscriptions = Subscriptions()
        self.runtime.install_api(self._bindings())

    # -- the shell's side -------------------------------------------------------------------

    def run_command(self, name: str, args: str = "") -> bool:
        """Run the Lua command ``name`` with ``args``; False when no such command exists.

        An error in the handler is reported; the return value is still True (it ran).
        """
        command = self.commands_registry.get(name)
        if command is None:
            return False
        self.call(command.handler, args)
        return True

    def run_line(self, line: str) -> bool:
        """Run ``":name args"`` if ``name`` is a Lua command; False otherwise."""
        name, args = split_command_line(line)
        return bool(name) and self.run_command(name, args)

    def commands(self) -> list[tuple[str, str]]:
        """Lua-registered commands as ``(name, desc)``, sorted by name (for :help and Tab)."""
        return [(c.name, c.desc) for c in self.commands_registry.all()]

    def exec(self, code: str, chunkname: str = "=:lua") -> None:
        """Run a string of Lua (``:lua CODE``); ``=expr`` prints the expression's values,
        tables included (``{total = 3, ...}``), like Neovim's ``:lua =``."""
        show = code.lstrip().startswith("=")
        if show:
            code = "return " + code.lstrip()[1:]
        result = self.runtime.run(code, chunkname)
        if not result.ok:
            self._report(result.error)
        elif show:
            self.app.notify("\t".join(format_lua_value(from_lua(v)) for v in result.values) or "nil")

    def run_file(self, path: str | Path) -> bool:
        """Run a Lua file (``--headless --lua FILE``); True on success, else the error is reported."""
        return config.run_file(self, Path(path), str(path))

    def load_config(self, config_dir: str | Path) -> bool:
        """Load ``init.lua`` then ``plugins/*.lua`` (sorted); one failing file does not stop the rest.

        Returns True when every file loaded without error.
        """
        return config.load_config(self, Path(config_dir))

    def interrupt(self) -> None:
        """Stop the Lua code running now (Ctrl-C), from any thread; no effect when idle."""
        self.runtime.interrupt()

    @property
    def running(self) -> bool:
        """True while Lua code is executing."""
        return self.runtime.running

    def close(self) -> None:
        """Unsubscribe every Lua event handler from the App."""
        self.subscriptions.clear()

    # -- guarded calls ----------------------------------------------------------------------

    def call(self, fn: Any, *args: Any) -> bool:
        """Call a Lua function, reporting any error as one line; True when it succeeded."""
        result = self.runtime.call(fn, *args)
        if not result.ok:
            self._report(result.error)
        return result.ok

    def run_chunk(self, source: str | bytes, chunkname: str) -> CallResult:
        """Compile and run a chunk, reporting any error; the CallResult tells the caller how it went."""
        result = self.runtime.run(source, chunkname)
        if not result.ok:
            self._report(result.error)
        return result

    def _report(self, line: str | None) -> None:
        self.app.report_error(line or "unknown Lua error")

    def _budget(self) -> int | None:
        value = self.app.settings.get("lua_budget", DEFAULT_BUDGET)
        if value is None or value is False:
            return None
        return value if isinstance(value, int) and value >= 0 else DEFAULT_BUDGET

    def _has_ui(self) -> bool:
        return self.app.ui is not None

    def _bindings(self) -> dict[str, Callable[..., tuple]]:
        lua = self.runtime.lua
        entries = [(f"session.{name}", fn, Tier.UI) for name, fn in SessionApi(self.app, lua).functions().items()]
        entries += HostApi(self.app, lua, self.commands_registry, self.subscriptions, self.call,
                           self.runtime.run_or_defer).functions()
        return {name: guard(name, fn, tier, self._has_ui, self.runtime.note_keyboard_interrupt)
                for name, fn, tier in entries}
