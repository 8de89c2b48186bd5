"""Configuring the program from Lua: ``smelt.provider`` (model providers), ``smelt.settings``
(checked against ``smelt_repl.settings``) and ``smelt.system`` (system prompt sections)."""

from __future__ import annotations

from typing import Any

import lupa.lua54 as lua54

from smelt_repl.lua.convert import ConversionError, from_lua, lua_string, lua_type_name, to_lua
from smelt_repl.settings import check_setting


class ConfigApi:
    """The Python half of ``smelt.provider``, ``smelt.settings`` and ``smelt.system``."""

    def __init__(self, app: Any, lua: lua54.LuaRuntime) -> None:
        self.app = app
        self.lua = lua

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
        """Write ``smelt.settings[key] = value`` (type-checked for the program's settings); nil removes the key."""
        key = lua_string(key, "smelt.settings: key")
        if value is None:
            self.app.settings.pop(key, None)
            return
        self.app.settings[key] = check_setting(key, from_lua(value))  # SettingError: one line for Lua

    def settings_keys(self) -> Any:
        """Keys of the settings, sorted (for ``pairs(smelt.settings)``)."""
        return to_lua(self.lua, sorted(k for k in self.app.settings if isinstance(k, str)))

    def system_append(self, text: Any = None) -> None:
        """``smelt.system.append(text)``: a section of the next system prompt."""
        self.app.system_sections.append(lua_string(text, "smelt.system.append: text"))
