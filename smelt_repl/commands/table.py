"""The built-in commands, dispatch (built-ins, then Lua-registered ones), and ``:help``."""

from __future__ import annotations

from smelt_repl.commands.app_commands import cost, lua, quit_, set_option
from smelt_repl.commands.base import Command, CommandError, ShellOps, run_guarded
from smelt_repl.commands.clipboard_commands import copy_reply
from smelt_repl.commands.conversation import attach_file, compact, fork, history, more, reset, retry, rewind, title
from smelt_repl.commands.export_command import export
from smelt_repl.commands.models import model, reasoning, thinking
from smelt_repl.commands.saved_sessions import delete, load, sessions
from smelt_repl.events import EVENTS
from smelt_repl.lua.registries import split_command_line
from smelt_repl.settings import SETTINGS, type_name


def help_(shell: ShellOps, args: str) -> None:
    """``:help``, ``:help lua``, ``:help settings``."""
    if not args:
        shell.print(help_text(shell))
    elif args == "lua":
        shell.print(help_lua())
    elif args == "settings":
        shell.print(help_settings())
    else:
        raise CommandError(f'no help on "{args}" (try :help, :help lua or :help settings)')


BUILTINS: tuple[Command, ...] = (
    Command("rewind", ":rewind [N|undo]", "cut the history back to turn N (picker without N)", rewind),
    Command("fork", ":fork", "continue in a copy of this session", fork),
    Command("sessions", ":sessions", "pick a saved session to load", sessions),
    Command("load", ":load ID", "switch to a saved session (id or prefix)", load),
    Command("delete", ":delete ID", "delete a saved session", delete),
    Command("reset", ":reset", "start a new empty session", reset),
    Command("model", ":model [NAME]", "the model for the next replies (a picker without NAME)", model),
    Command("reasoning", ":reasoning [LEVEL]", "ask for low/medium/high reasoning, off, or the model's default",
            reasoning),
    Command("thinking", ":thinking", "show the reasoning behind the last reply in full", thinking),
    Command("more", ":more", "ask the model to go on where its reply stopped (after [truncated])", more),
    Command("compact", ":compact [TEXT]", "summarise all but the last 2 turns to free context (TEXT: what to keep)",
            compact),
    Command("retry", ":retry", "send the failed message again, or regenerate the last reply", retry),
    Command("attach", ":attach PATH", "attach a file to the next message (as @PATH in it does)", attach_file),
    Command("history", ":history [N]", "show N earlier turns of a long loaded session", history),
    Command("title", ":title [TEXT]", "name this session (without TEXT: show its name)", title),
    Command("export", ":export [PATH]", "write this conversation as Markdown (never over a file)", export),
    Command("copy", ":copy [N]", "copy the last reply (or its Nth code block) to the clipboard", copy_reply),
    Command("cost", ":cost", "show cost and token use of this session", cost),
    Command("lua", ":lua CODE", "run Lua code", lua),
    Command("set", ":set vim|novim", "switch vim or emacs key bindings", set_option),
    Command("help", ":help [lua|settings]", "list commands (or the Lua API, or the settings)", help_),
    Command("quit", ":quit", "leave smelt-repl (also :q)", quit_),
    Command("q", ":q", "leave smelt-repl", quit_),
)


_BY_NAME = {command.name: command for command in BUILTINS}


def run(shell: ShellOps, line: str) -> None:
    """Run one meta-command line; problems are printed, never raised."""
    name, args = split_command_line(line)
    run_guarded(shell, name, lambda: _dispatch(shell, name, args))


def _dispatch(shell: ShellOps, name: str, args: str) -> None:
    if not name:
        raise CommandError("empty command (try :help)")
    command = _BY_NAME.get(name)
    if name in lua_commands(shell):  # the user's Lua wins over a built-in of the same name
        shell.host.run_command(name, args)
    elif command is not None:
        command.run(shell, args)
    else:
        raise CommandError(f'unknown command ":{name}" (try :help)')


def builtin(name: str) -> Command | None:
    """The built-in command ``name``, None when there is none."""
    return _BY_NAME.get(name)


def enters_lua(shell: ShellOps, line: str) -> bool:
    """True when running ``line`` runs Lua code (``:lua``, a Lua-registered command)."""
    name, _ = split_command_line(line)
    return name == "lua" or name in lua_commands(shell)


def lua_commands(shell: ShellOps) -> dict[str, str]:
    """Lua-registered commands (name → description); one with a built-in's name replaces it."""
    if shell.host is None:
        return {}
    return {name: desc or "" for name, desc in shell.host.commands()}


def known_names(shell: ShellOps) -> set[str]:
    """Every command name a line may start with (built-in or Lua-registered)."""
    return set(_BY_NAME) | set(lua_commands(shell))


def all_commands(shell: ShellOps) -> list[tuple[str, str]]:
    """Every command name with its one-line description, built-ins first (a built-in that a
    Lua command replaces is listed once, as the Lua command)."""
    lua = lua_commands(shell)
    hidden = _hidden(shell)
    return [(c.name, c.desc) for c in BUILTINS if c.name not in lua] + sorted(
        item for item in lua.items() if item[0] not in hidden)


def _hidden(shell: ShellOps) -> set[str]:
    """Lua commands registered with ``hidden = true``: they run, but are not listed."""
    return set(shell.host.hidden_commands()) if shell.host is not None else set()


def help_text(shell: ShellOps) -> str:
    """The ``:help`` listing."""
    hidden = _hidden(shell)
    lua = sorted(item for item in lua_commands(shell).items() if item[0] not in hidden)
    lines = ["Commands:"] + [f"  {c.usage:<20} {c.desc}" + ("  (replaced by a Lua command)" if c.name in dict(lua) else "")
                             for c in BUILTINS if c.name != "q"]
    if lua:
        lines += ["Lua commands:"] + [f"  :{name:<19} {desc}" + ("  (replaces the built-in)" if name in _BY_NAME else "")
                                      for name, desc in lua]
    keymaps = shell.user_keymaps()
    if keymaps:
        lines += ["Lua keymaps:"] + [f"  {mode} {keys:<17} {desc}".rstrip() for mode, keys, desc in keymaps]
    lines += ["Keys: Enter sends · Alt-Enter/Ctrl-J newline · Ctrl-C cancels a reply, "
              "then exits · Esc Esc (normal mode, empty prompt) rewinds",
              "More: :help lua (the Lua API) · :help settings"]
    return "\n".join(lines)


HELP_TOPICS = {"lua": "the smelt Lua API and its events", "settings": "what smelt.settings takes"}


def help_lua() -> str:
    """The ``:help lua`` listing: the API (grouped by namespace in the table) with tier and doc, then the events."""
    from smelt_repl.lua.api_table import API  # here, so the prompt starts without lupa

    width = min(40, max(len(f.call) for f in API))
    lines = ["Lua API (Host: everywhere; UiHost: needs the terminal UI, not --headless):"]
    lines += [f"  {f.call:<{width}}  {f.tier.value:<6}  {f.doc}" for f in API]
    lines.append("Events (smelt.events.on; plugins may add their own): " + ", ".join(EVENTS))
    return "\n".join(lines)


def help_settings() -> str:
    """The ``:help settings`` listing: every setting with its type, default and doc."""
    from smelt_repl.lua.convert import format_lua_value

    lines = ["Settings (smelt.settings.NAME = value, e.g. in init.lua):"]
    for setting in SETTINGS:
        default = format_lua_value(setting.default, nested=True)
        default = default if len(default) <= 16 else default[:14] + '…"'
        kind = "/".join(type_name(t) for t in setting.types)
        lines.append(f"  {setting.name:<19} {kind:<8} {default:<16}  {setting.doc}")
    return "\n".join(lines)
