"""Values crossing between Python and Lua: plain tables, strings, numbers, booleans, nil.

Python → Lua: None becomes nil (an absent table field), lists and tuples 1-based arrays,
dicts tables, dataclasses tables of their fields; anything else is handed over as its
``str()`` so no Python object ever reaches a script. Lua → Python: a table whose keys are
exactly 1..n becomes a list, any other table a dict; functions stay opaque Lua functions.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import lupa.lua54 as lua54

MAX_DEPTH = 64


class ConversionError(ValueError):
    """A Lua value cannot be turned into plain Python data (cycle, too deep, odd key)."""


def to_lua(lua: lua54.LuaRuntime, value: Any, _depth: int = 0) -> Any:
    """Convert plain Python data into Lua values owned by ``lua``."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if _depth > MAX_DEPTH:
        raise ConversionError("value nested too deeply to hand to Lua")
    if isinstance(value, dict):
        table = lua.table()
        for key, item in value.items():
            if item is not None:
                table[_lua_key(key)] = to_lua(lua, item, _depth + 1)
        return table
    if isinstance(value, (list, tuple)):
        table = lua.table()
        for index, item in enumerate(value, 1):
            table[index] = to_lua(lua, item, _depth + 1)
        return table
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_lua(lua, {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}, _depth)
    if lua54.lua_type(value) is not None:  # already a Lua value (a handler function, say)
        return value
    return str(value)


def _lua_key(key: Any) -> Any:
    return key if isinstance(key, (str, int, float, bool)) else str(key)


def from_lua(value: Any, _depth: int = 0) -> Any:
    """Convert a Lua value into plain Python data (tables to lists or dicts, recursively).

    A cyclic table fails on the depth limit rather than looping.
    """
    if lua54.lua_type(value) != "table":
        return value
    if _depth > MAX_DEPTH:
        raise ConversionError("table nested too deeply (or cyclic)")
    items = list(value.items())
    keys = [key for key, _ in items]
    if keys and all(type(k) is int for k in keys) and sorted(keys) == list(range(1, len(keys) + 1)):
        items.sort(key=lambda kv: kv[0])
        return [from_lua(item, _depth + 1) for _, item in items]
    out = {}
    for key, item in items:
        if lua54.lua_type(key) is not None:
            raise ConversionError("table keys must be strings or numbers")
        out[key] = from_lua(item, _depth + 1)
    return out


def lua_string(value: Any, what: str) -> str:
    """``value`` as a Python str, or a ConversionError naming ``what`` it should have been."""
    if isinstance(value, str):
        return value
    raise ConversionError(f"{what} must be a string, got {lua_type_name(value)}")


def lua_type_name(value: Any) -> str:
    """The Lua type name of a value as a script author would say it."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, (str, bytes)):
        return "string"
    return lua54.lua_type(value) or type(value).__name__


def format_lua_value(value: Any, *, nested: bool = False) -> str:
    """Plain data (from ``from_lua``) written the way Lua source would write it."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"' if nested else value
    if isinstance(value, list):
        return "{" + ", ".join(format_lua_value(v, nested=True) for v in value) + "}"
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        return "{" + ", ".join(f"{_source_key(k)} = {format_lua_value(v, nested=True)}" for k, v in items) + "}"
    return str(value)


def _source_key(key: Any) -> str:
    if isinstance(key, str) and key.isidentifier():
        return key
    return "[" + format_lua_value(key, nested=True) + "]"
