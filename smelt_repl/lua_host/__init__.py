"""The Lua host: one sandboxed Lua 5.4 runtime exposing the ``smelt`` API to user scripts.

It adapts the App (session core, events, settings, providers) to Lua and owns the tiers:
Host-tier functions work everywhere, UiHost-tier ones need the terminal UI.
"""

from smelt_repl.lua_host.host import LuaHost
from smelt_repl.lua_host.runtime import CallResult

__all__ = ["CallResult", "LuaHost"]
