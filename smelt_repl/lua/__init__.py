"""Internals of the Lua host (``smelt_repl.lua_host``): the sandboxed runtime and its prelude,
value conversion, the tier guard, and the Python halves of the ``smelt`` API."""
