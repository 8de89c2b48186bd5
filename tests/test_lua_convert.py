"""Lua values converted to Python (``from_lua``) stay within a cap on elements and string
bytes, so a huge table cannot take Python past the memory Lua was allowed."""

from __future__ import annotations

import pytest

from smelt_repl.lua.convert import MAX_ELEMENTS, MAX_STRING_BYTES, ConversionError, from_lua
from smelt_repl.lua.runtime import LuaRuntimeBox
from tests.lua_helpers import host, lua_value  # noqa: F401


@pytest.fixture(scope="module")
def box() -> LuaRuntimeBox:
    return LuaRuntimeBox(budget=lambda: 0)


def lua_table(box: LuaRuntimeBox, code: str):
    result = box.run(code, "=t")
    assert result.ok, result.error
    return result.value


def test_plain_tables_convert_as_before(box):
    value = lua_table(box, "return {1, 'two', {x = 1, [2] = {true}}, {}}")
    assert from_lua(value) == [1, "two", {"x": 1, 2: [True]}, {}]
    assert from_lua(lua_table(box, "return {[1] = 'a', [3] = 'c'}")) == {1: "a", 3: "c"}


@pytest.mark.parametrize("code", [
    f"local t = {{}} for i = 1, {MAX_ELEMENTS + 1} do t[i] = i end return t",
    f"local a, b = {{}}, {{}} for i = 1, {MAX_ELEMENTS // 2} do a[i], b[i] = i, i end return {{a, b}}",
    f"local t = {{}} for i = 1, {MAX_ELEMENTS + 1} do t['k' .. i] = true end return t",
])
def test_too_many_elements_is_a_conversion_error(box, code):
    with pytest.raises(ConversionError, match=f"table too large to convert: over {MAX_ELEMENTS:,} elements"):
        from_lua(lua_table(box, code))


def test_too_many_string_bytes_is_a_conversion_error(box):
    value = lua_table(box, f"local s = ('x'):rep({MAX_STRING_BYTES // 4 + 1}) return {{s, s, s, s}}")
    with pytest.raises(ConversionError, match="its strings hold over 64 MiB"):
        from_lua(value)


def test_a_binding_turns_the_cap_into_a_lua_error(host):  # noqa: F811
    ok, message = lua_value(host, f"{{pcall(smelt.events.emit, 'big', "
                                  f"(function() local t = {{}} for i = 1, {MAX_ELEMENTS + 1} do t[i] = i end "
                                  f"return {{items = t}} end)())}}")
    assert ok is False and message.startswith("table too large to convert")


def test_lua_equals_reports_a_table_too_large_to_show(host, ui):  # noqa: F811
    host.exec(f"=(function() local t = {{}} for i = 1, {MAX_ELEMENTS + 1} do t[i] = i end return t end)()")
    assert ui.errors == [f":lua: table too large to convert: over {MAX_ELEMENTS:,} elements in all"]
