"""Meta-commands (``:name args``): what each built-in does, the table, dispatch, ``:help``
text and Tab completion.

Each built-in takes the shell (``ShellOps``) and the argument text and works through ``App``
operations. A Lua command registered with a built-in's name replaces it (the user's config
wins, as in smelt, where built-ins are plugins). Every error a user can cause (bad
arguments, unknown ids, refused operations, config problems) is raised (``CommandError``,
session and config errors) and becomes one red line; the REPL carries on.

Modules: ``base`` (ShellOps, errors), ``conversation`` / ``saved_sessions`` /
``app_commands`` (what the built-ins do), ``table`` (the table, dispatch, help),
``completion`` (Tab).
"""

from smelt_repl.commands.base import CommandError, ShellOps, run_guarded
from smelt_repl.commands.completion import CommandCompleter
from smelt_repl.commands.conversation import open_rewind_picker
from smelt_repl.commands.table import (
    BUILTINS,
    all_commands,
    builtin,
    enters_lua,
    help_lua,
    help_settings,
    help_text,
    known_names,
    lua_commands,
    run,
)

__all__ = ["BUILTINS", "CommandCompleter", "CommandError", "ShellOps", "all_commands", "builtin", "enters_lua",
           "help_lua", "help_settings", "help_text", "known_names", "lua_commands", "open_rewind_picker", "run",
           "run_guarded"]
