"""Every setting the program reads, in one table: name, default, allowed types, a line of doc.

Scripts set them as ``smelt.settings.NAME = value``; the Lua host checks each write with
``check_setting`` and ``:help settings`` lists this table. Names not in the table are left to
plugins (any plain value, unchecked).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from smelt_repl.system_prompt import DEFAULT_SYSTEM_PROMPT

DEFAULT_LUA_BUDGET = 50_000_000  # instructions per outermost entry into Lua


class SettingError(ValueError):
    """A known setting was given a value it cannot take; the message is for a person."""


@dataclass(frozen=True)
class Setting:
    """One setting: its default, the Python types it accepts, and what it does."""

    name: str
    default: Any
    types: tuple[type, ...]
    doc: str
    check: Callable[[Any], str | None] | None = None  # extra rule: None, or what the value must be


def _not_negative(value: int) -> str | None:
    return None if value >= 0 else ">= 0 (0: no budget)"


SETTINGS: tuple[Setting, ...] = (
    Setting("model", None, (str,), '"provider/model" of the next request (nil: the offline responder)'),
    Setting("system_prompt", DEFAULT_SYSTEM_PROMPT, (str,), "base of the system prompt (nil: the built-in one)"),
    Setting("vim", True, (bool,), "vim key bindings on the prompt (false: emacs)"),
    Setting("restore_vim_insert", True, (bool,), ":rewind leaves the prompt in vim insert mode"),
    Setting("leader", "\\", (str,), "the keys <leader> stands for in smelt.keymap.set"),
    Setting("lua_budget", DEFAULT_LUA_BUDGET, (int,), "Lua instructions per command, event or keymap (0: no limit)",
            _not_negative),
    Setting("auto_compact", False, (bool,), "compact (as :compact) before a turn once the context passes 80 % "
            "of the model's window"),
    Setting("replay_turns", 20, (int,), "user turns a loaded session shows (0: all; :history shows more)",
            _not_negative),
)
BY_NAME: Mapping[str, Setting] = MappingProxyType({s.name: s for s in SETTINGS})


def default_settings() -> dict[str, Any]:
    """A fresh dict of every setting at its default (the App's starting settings)."""
    return {s.name: s.default for s in SETTINGS}


# Read-only view of the defaults, for code that copies them with ``dict(DEFAULT_SETTINGS)``.
DEFAULT_SETTINGS: Mapping[str, Any] = MappingProxyType(default_settings())


def check_setting(name: str, value: Any) -> Any:
    """``value`` as setting ``name`` stores it, or SettingError (one line naming the setting).

    An integral number is accepted for an integer setting (Lua reads ``1e6`` as a float);
    names outside the table pass unchecked.
    """
    setting = BY_NAME.get(name)
    if setting is None or value is None:
        return value
    if int in setting.types and isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, setting.types) or (bool not in setting.types and isinstance(value, bool)):
        wanted = " or ".join(type_name(t) for t in setting.types)
        raise SettingError(f"smelt.settings.{name} must be a {wanted}, got {value_type_name(value)}")
    problem = setting.check(value) if setting.check else None
    if problem:
        raise SettingError(f"smelt.settings.{name} must be {problem}")
    return value


def type_name(kind: type) -> str:
    """How a script author names a Python type: bool → boolean, int → number, ..."""
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "table",
            dict: "table"}.get(kind, kind.__name__)


def value_type_name(value: Any) -> str:
    """How a script author names the type of a plain value (as ``from_lua`` makes them)."""
    if value is None:
        return "nil"
    if isinstance(value, (bool, int, float, str, list, dict)):
        return type_name(type(value))
    return "function" if callable(value) else type(value).__name__
