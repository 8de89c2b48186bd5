"""Shared fixtures for the Lua host tests: a LuaHost on the real App of tests/conftest.py
(with the recording UI host, or headless).

Import the fixtures by name: ``from tests.lua_helpers import host, lua``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smelt_repl.lua_host import LuaHost

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "lua"


@pytest.fixture
def host(app) -> LuaHost:
    return LuaHost(app)


@pytest.fixture
def headless_host(headless_app) -> LuaHost:
    return LuaHost(headless_app)


def lua(host: LuaHost, code: str, *, chunk: str = "test.lua") -> None:
    """Run ``code`` as a chunk named ``chunk`` and fail the test if it raised a Lua error."""
    result = host.run_chunk(code, "@" + chunk)
    assert result.ok, result.error


def lua_value(host: LuaHost, expr: str):
    """Evaluate a Lua expression and return its (single) value as plain Python."""
    from smelt_repl.lua.convert import from_lua

    result = host.runtime.run(f"return {expr}", "=expr")
    assert result.ok, result.error
    return from_lua(result.value)
