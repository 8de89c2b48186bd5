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
MAX_ELEMENTS = 250_000  # table elements one conversion may create (~200 bytes each in Python)
MAX_STRING_BYTES = 64 * 1024 * 1024


class ConversionError(ValueError):
    """A Lua value cannot be turned into plain Python data (cycle, too deep, too large, odd key)."""


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


class _Budget:
    """What one conversion may still create: table elements and string bytes."""

    def __init__(self) -> None:
        self.elements = MAX_ELEMENTS
        self.string_bytes = MAX_STRING_BYTES

    def take_string(self, value: Any) -> None:
        if isinstance(value, (str, bytes)):
            self.string_bytes -= len(value)
            if self.string_bytes < 0:
                raise ConversionError(f"value too large to convert: its strings hold over "
                                      f"{MAX_STRING_BYTES // (1024 * 1024)} MiB")

    def take_element(self) -> None:
        self.elements -= 1
        if self.elements < 0:
            raise ConversionError(f"table too large to convert: over {MAX_ELEMENTS:,} elements in all")


def from_lua(value: Any) -> Any:
    """Convert a Lua value into plain Python data (tables to lists or dicts, recursively).

    A cyclic table fails on the depth limit rather than looping; a conversion creates at most
    ``MAX_ELEMENTS`` table elements and ``MAX_STRING_BYTES`` of strings, so a huge table
    cannot take more memory in Python than the Lua memory cap allowed in Lua.
    """
    return _from_lua(value, 0, _Budget())


def _from_lua(value: Any, depth: int, budget: _Budget) -> Any:
    if lua54.lua_type(value) != "table":
        budget.take_string(value)
        return value
    if depth > MAX_DEPTH:
        raise ConversionError("table nested too deeply (or cyclic)")
    items = []
    for key, item in value.items():  # counted as they come, before any list holds them all
        budget.take_element()
        budget.take_string(key)
        items.append((key, item))
    if items and all(type(k) is int for k, _ in items) and _is_sequence(items):
        items.sort(key=lambda kv: kv[0])
        return [_from_lua(item, depth + 1, budget) for _, item in items]
    out = {}
    for key, item in items:
        if lua54.lua_type(key) is not None:
            raise ConversionError("table keys must be strings or numbers")
        out[key] = _from_lua(item, depth + 1, budget)
    return out


def _is_sequence(items: list[tuple[int, Any]]) -> bool:
    """True when the integer keys are exactly 1..n."""
    keys = sorted(k for k, _ in items)
    return keys[0] == 1 and keys[-1] == len(keys) and len(set(keys)) == len(keys)


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
