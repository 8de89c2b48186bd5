"""Checking a request body against an official SDK's request type, extra keys forbidden.

The openai and anthropic SDKs describe request bodies as TypedDicts; pydantic validates a
TypedDict but ignores unknown keys unless its config says `extra="forbid"`, so every
TypedDict reachable from the request type gets that config here (this process only).
"""

from __future__ import annotations

from typing import Any

import typing_extensions
from pydantic import ConfigDict, TypeAdapter

_STRICT = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


def strict_adapter(request_type: Any) -> TypeAdapter:
    """A TypeAdapter for `request_type` that refuses keys its TypedDicts do not declare."""
    _forbid_extra(request_type, set())
    return TypeAdapter(request_type)


def validate(adapter: TypeAdapter, body: dict, extensions: frozenset[str] = frozenset()) -> None:
    """Raise pydantic's ValidationError when `body` (less the allowed top-level `extensions`)
    does not fit; lazily validated iterables (messages) are read through."""
    checked = {k: v for k, v in body.items() if k not in extensions}
    _read_through(adapter.validate_python(checked))


def _forbid_extra(tp: Any, seen: set[int]) -> None:
    if id(tp) in seen:
        return
    seen.add(id(tp))
    if typing_extensions.is_typeddict(tp):
        tp.__pydantic_config__ = _STRICT
        for hint in typing_extensions.get_type_hints(tp, include_extras=True).values():
            _forbid_extra(hint, seen)
        return
    for arg in typing_extensions.get_args(tp):
        _forbid_extra(arg, seen)


def _read_through(value: Any) -> Any:
    """Consume pydantic's lazy iterables (`Iterable[...]` fields) so their items are validated."""
    if isinstance(value, dict):
        return {k: _read_through(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_read_through(v) for v in value]
    if type(value).__name__ == "ValidatorIterator":
        return [_read_through(v) for v in value]
    return value
