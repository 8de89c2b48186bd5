"""What scripts register with the host: commands (``:name``, and how a command line splits
into name and arguments) and event subscriptions."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smelt_repl.lua.bindings import LuaApiError

_COMMAND_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class LuaCommand:
    """A ``:name ARGS`` meta-command implemented by a Lua function ``handler(args)``."""

    name: str
    handler: Any  # a Lua function
    desc: str = ""
    hidden: bool = False  # left out of :help and completion


def split_command_line(line: str) -> tuple[str, str]:
    """``":name  rest of line "`` (colon optional) → ``("name", "rest of line")``.

    The one rule for command lines, typed or from ``smelt.cmd.run``: the name ends at the
    first whitespace (a space or a tab), the arguments are the rest, stripped.
    """
    parts = line.strip().removeprefix(":").split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


class CommandRegistry:
    """Lua-registered commands by name; registering a name again replaces it."""

    def __init__(self) -> None:
        self._commands: dict[str, LuaCommand] = {}

    def register(self, name: str, handler: Any, desc: str = "", hidden: bool = False) -> LuaCommand:
        """Add (or replace) the command ``name``; a leading ``:`` is ignored."""
        name = name.strip().removeprefix(":")
        if not _COMMAND_NAME.match(name):
            raise LuaApiError(f"smelt.cmd.register: invalid command name {name!r} "
                              "(a letter, then letters, digits, '-' or '_')")
        command = LuaCommand(name, handler, desc, hidden)
        self._commands[name] = command
        return command

    def remove(self, name: str) -> None:
        """Drop the command ``name`` (no-op when there is none)."""
        self._commands.pop(name, None)

    def get(self, name: str) -> LuaCommand | None:
        """The command called ``name`` (leading ``:`` allowed), if registered."""
        return self._commands.get(name.strip().removeprefix(":"))

    def all(self) -> list[LuaCommand]:
        """Every command, sorted by name."""
        return [self._commands[name] for name in sorted(self._commands)]


class Subscriptions:
    """Unsubscribe functions of the event handlers scripts added, by integer handle."""

    def __init__(self) -> None:
        self._next = 0
        self._off: dict[int, Callable[[], None]] = {}

    def add(self, unsubscribe: Callable[[], None]) -> int:
        """Remember an unsubscribe function; returns its handle."""
        self._next += 1
        self._off[self._next] = unsubscribe
        return self._next

    def remove(self, handle: int) -> None:
        """Unsubscribe the handler behind ``handle`` (no-op when already removed)."""
        unsubscribe = self._off.pop(handle, None)
        if unsubscribe is not None:
            unsubscribe()

    def clear(self) -> None:
        """Unsubscribe every handler (the host is shutting down)."""
        for handle in list(self._off):
            self.remove(handle)
