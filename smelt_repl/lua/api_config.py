"""Configuring the program from Lua: ``smelt.provider`` (model providers), ``smelt.model``,
``smelt.settings`` (checked against ``smelt_repl.settings``) and ``smelt.system``."""

from __future__ import annotations

from typing import Any

import lupa.lua54 as lua54

from smelt_repl.lua.convert import ConversionError, from_lua, lua_string, lua_type_name, to_lua
from smelt_repl.settings import BY_NAME, check_setting


class ConfigApi:
    """The Python half of ``smelt.provider``, ``smelt.model``, ``smelt.settings`` and ``smelt.system``."""

    def __init__(self, app: Any, lua: lua54.LuaRuntime) -> None:
        self.app = app
        self.lua = lua
        self._registered: dict[str, tuple[int, Any]] = {}  # provider → (its Reg token, the spec it replaced)
        self._tokens = 0
        self._warned_settings: set[str] = set()

    # -- providers and the model ----------------------------------------------------------

    def provider_register(self, name: Any = None, spec: Any = None) -> int:
        """``smelt.provider.register(name, spec)``: checked by the providers package; an unknown
        model key is one warning. Returns the token its Reg removes it with."""
        from smelt_repl.providers.spec import parse_provider_spec

        provider = lua_string(name, "smelt.provider.register: name")
        raw = from_lua(spec)
        if not isinstance(raw, dict):
            raise ConversionError(f"smelt.provider.register: spec must be a table, got {lua_type_name(spec)}")
        parsed = parse_provider_spec(provider, raw, warn=lambda line: self.app.notify(f"warning: {line}"))
        previous = self._registered.get(provider, (0, self.app.providers.get(provider)))[1]
        self.app.providers[provider] = parsed
        self._tokens += 1
        self._registered[provider] = (self._tokens, previous)
        return self._tokens

    def provider_remove(self, name: Any = None, token: Any = None) -> None:
        """``reg:remove()`` of a provider: back to what it replaced, if it is still the latest."""
        entry = self._registered.get(name) if isinstance(name, str) else None
        if entry is None or entry[0] != token:
            return
        del self._registered[name]
        if entry[1] is None:
            self.app.providers.pop(name, None)
        else:
            self.app.providers[name] = entry[1]

    def provider_list(self) -> Any:
        """``smelt.provider.list()``: ``{name, type, api_base, api_key_env, models}`` rows by name."""
        rows = [{"name": spec.name, "type": spec.kind, "api_base": spec.api_base or "",
                 "api_key_env": spec.api_key_env or "", "models": sorted(spec.models)}
                for _, spec in sorted(self.app.providers.items())]
        return to_lua(self.lua, rows)

    def model_get(self) -> str:
        """``smelt.model.get()``: ``"provider/model"`` of the next request."""
        return self.app.resolved_model().key

    def model_set(self, name: Any = None) -> None:
        """``smelt.model.set(name)``: as ``:model NAME`` (an unusable model is a Lua error)."""
        self.app.choose_model(lua_string(name, "smelt.model.set: name"))

    # -- settings and the system prompt -----------------------------------------------------

    def settings_get(self, key: Any = None) -> Any:
        """Read ``smelt.settings[key]`` (a copy for tables); ``model`` reads the model in use."""
        if key == "model":
            try:
                return self.app.resolved_model().key
            except ValueError:
                pass
        return to_lua(self.lua, self.app.settings.get(key)) if isinstance(key, str) else None

    def settings_set(self, key: Any = None, value: Any = None) -> None:
        """Write ``smelt.settings[key] = value`` (type-checked for the program's settings; a name
        it does not know is kept, with one warning); nil removes the key."""
        key = lua_string(key, "smelt.settings: key")
        if value is None:
            self.app.settings.pop(key, None)
            return
        self.app.settings[key] = check_setting(key, from_lua(value))  # SettingError: one line for Lua
        if key not in BY_NAME and key not in self._warned_settings:
            self._warned_settings.add(key)
            self.app.notify(f"warning: smelt.settings.{key} is not a smelt-repl setting: kept, but unused")

    def settings_keys(self) -> Any:
        """Keys of the settings, sorted (for ``pairs(smelt.settings)``)."""
        return to_lua(self.lua, sorted(k for k in self.app.settings if isinstance(k, str)))

    def system_append(self, text: Any = None) -> None:
        """``smelt.system.append(text)``: a section of the next system prompt."""
        self.app.system_sections.append(lua_string(text, "smelt.system.append: text"))
