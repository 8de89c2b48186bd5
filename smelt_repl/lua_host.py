"""The Lua host: the one sandboxed Lua 5.4 runtime of the program, its ``smelt`` table, and
the entry points the shell and the CLI use (commands, ``:lua``, files, the user's config).

It adapts the App (session core, events, settings, providers) to Lua and owns the tiers:
Host-tier functions work everywhere, UiHost-tier ones need the terminal UI. Its internals
(the runtime, the sandbox prelude, value conversion, the API halves) live in ``smelt_repl.lua``.

Every entry into Lua is guarded: an error is reported through ``app.report_error`` as one
line ``file:line: message`` and never raises into the caller. A script's ``os.exit`` is a
clean quit (``app.request_exit``), not an error (``smelt_repl.lua.os_exit``).

Config: ``init.lua`` then ``plugins/*.lua`` (sorted) from the config directory. Chunks are
named by their path relative to it (``init.lua``, ``plugins/git.lua``), so errors read
``init.lua:3: message``. Files are read as bytes and compiled as text only.
``<config>/lua/`` is put on ``package.path`` so config can ``require`` its own modules.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from smelt_repl.config_files import config_files
from smelt_repl.lua import api_table
from smelt_repl.lua.api_config import ConfigApi
from smelt_repl.lua.api_extend import ExtendApi
from smelt_repl.lua.api_session import SessionApi
from smelt_repl.lua.api_session_more import SessionMoreApi
from smelt_repl.lua.api_tasks import TaskApi
from smelt_repl.lua.bindings import Tier, guard
from smelt_repl.lua.convert import ConversionError, format_lua_value, from_lua
from smelt_repl.lua.os_exit import EXIT_MESSAGE, OS_EXIT_LUA
from smelt_repl.lua.registries import CommandRegistry, Subscriptions
from smelt_repl.lua.runtime import DEFAULT_MAX_MEMORY, CallResult, LuaRuntimeBox
from smelt_repl.settings import DEFAULT_LUA_BUDGET

MODULES_DIR = "lua"


class LuaHost:
    """Owns the sandboxed runtime and adapts the App to Lua (``smelt.*``) and Lua to the shell."""

    def __init__(self, app: Any, *, max_memory: int | None = DEFAULT_MAX_MEMORY) -> None:
        self.app = app
        self.runtime = LuaRuntimeBox(max_memory=max_memory, budget=self._budget)
        self.commands_registry = CommandRegistry()
        self.subscriptions = Subscriptions()
        self.tasks = TaskApi(app, self.runtime.lua, self.runtime.run_later, self.call)
        self.tasks.resumer = self.runtime.install_api(self._bindings())
        request_exit = guard("os.exit", self._request_exit, Tier.HOST, self._has_ui,
                             self.runtime.note_keyboard_interrupt)
        self.runtime.install(OS_EXIT_LUA, request_exit, EXIT_MESSAGE)

    # -- the shell's side -------------------------------------------------------------------

    def run_command(self, name: str, args: str = "") -> bool:
        """Run the Lua command ``name`` with ``args``; False when no such command exists.

        The handler gets nil for no arguments. An error in the handler is reported; the return
        value is still True (it ran).
        """
        command = self.commands_registry.get(name)
        if command is None:
            return False
        self.call(command.handler, args or None)
        return True

    def commands(self) -> list[tuple[str, str]]:
        """Lua-registered commands as ``(name, desc)``, sorted by name, hidden ones included."""
        return [(c.name, c.desc) for c in self.commands_registry.all()]

    def hidden_commands(self) -> set[str]:
        """Names of the commands registered with ``hidden = true`` (left out of :help and Tab)."""
        return {c.name for c in self.commands_registry.all() if c.hidden}

    def wait_tasks(self, timeout: float | None = None) -> bool:
        """Wait until no ``smelt.spawn`` task waits (headless, before exiting); False on timeout."""
        return self.tasks.pending.wait_idle(timeout)

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
            try:
                self.app.notify("\t".join(format_lua_value(from_lua(v)) for v in result.values) or "nil")
            except ConversionError as exc:
                self._report(f"{chunkname.lstrip('=@')}: {exc}")

    def run_file(self, path: str | Path) -> bool:
        """Run a Lua file (``--headless --lua FILE``); True on success, else the error is reported."""
        return self._run_file(Path(path), str(path))

    def load_config(self, config_dir: str | Path) -> bool:
        """Load ``init.lua`` then ``plugins/*.lua`` (sorted); one failing file does not stop the rest.

        Returns True when every file loaded without error.
        """
        config_dir = Path(config_dir)
        self._add_module_path(config_dir / MODULES_DIR)
        ok = True
        for path in config_files(config_dir):
            ok = self._run_file(path, path.relative_to(config_dir).as_posix()) and ok
        return ok

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

    def _run_file(self, path: Path, display: str) -> bool:
        """Run one Lua file, its chunk named ``display``; True on success (errors are reported)."""
        try:
            source = path.read_bytes()
        except OSError as exc:
            self.app.report_error(f"{display}: cannot read Lua file: {exc.strerror or exc}")
            return False
        return self.run_chunk(source, "@" + display).ok

    def _add_module_path(self, modules: Path) -> None:
        package = self.runtime.lua.globals().package
        entries = f"{modules}/?.lua;{modules}/?/init.lua"
        if entries not in package.path:
            package.path = f"{entries};{package.path}"

    def _report(self, line: str | None) -> None:
        if line and line.endswith(EXIT_MESSAGE) and self.app.exit_code is not None:
            return  # os.exit stopped the script: a quit, not an error
        self.app.report_error(line or "unknown Lua error")

    def _request_exit(self, code: int) -> None:
        """``os.exit(code)``: the App quits once the script has unwound (see ``lua.os_exit``)."""
        self.app.request_exit(code)

    def _budget(self) -> int:
        """``smelt.settings.lua_budget`` (0: no budget); its default when unset or not usable."""
        value = self.app.settings.get("lua_budget")
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else DEFAULT_LUA_BUDGET

    def _has_ui(self) -> bool:
        return self.app.ui is not None

    def _bindings(self) -> dict[str, Callable[..., tuple]]:
        """Every row of ``api_table.API``, bound to its Python half and guarded by its tier."""
        lua = self.runtime.lua
        halves = (SessionApi(self.app, lua), SessionMoreApi(self.app, lua), ConfigApi(self.app, lua),
                  ExtendApi(self.app, lua, self.commands_registry, self.subscriptions, self.call,
                            self.runtime.run_or_defer), self.tasks)
        return {row.name: guard(row.name, fn, row.tier, self._has_ui, self.runtime.note_keyboard_interrupt)
                for row, fn in api_table.bound(halves)}
