"""Meta-commands (``:name args``): the table, dispatch, ``:help`` text and Tab completion.

Built-in commands win over Lua commands of the same name. Every error a user can cause
(bad arguments, unknown ids, refused operations, config problems) becomes one red line;
the REPL carries on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from smelt_repl import command_ops as ops
from smelt_repl.command_ops import CommandError, run_guarded

if TYPE_CHECKING:
    from smelt_repl.app import App
    from smelt_repl.pickers import Choice

__all__ = ["BUILTINS", "CommandCompleter", "CommandError", "ShellOps", "builtin", "enters_lua", "help_text", "parse",
           "run", "run_guarded"]

class ShellOps(Protocol):
    """What commands need from the shell."""

    app: App
    host: Any

    def print(self, text: str) -> None: ...
    def print_error(self, text: str) -> None: ...
    def open_picker(self, title: str, choices: list[Choice], on_pick: Callable[[Any], None],
                    index: int = 0) -> None: ...
    def set_vim(self, enabled: bool) -> None: ...
    def quit(self) -> None: ...
    def user_keymaps(self) -> list[tuple[str, str, str]]: ...


@dataclass(frozen=True)
class Command:
    """A built-in meta-command."""

    name: str
    usage: str
    desc: str
    run: Callable[[ShellOps, str], None]


BUILTINS: tuple[Command, ...] = (
    Command("rewind", ":rewind [N|undo]", "cut the history back to turn N (picker without N)", ops.rewind),
    Command("fork", ":fork", "continue in a copy of this session", ops.fork),
    Command("sessions", ":sessions", "pick a saved session to load", ops.sessions),
    Command("load", ":load ID", "switch to a saved session (id or prefix)", ops.load),
    Command("delete", ":delete ID", "delete a saved session", ops.delete),
    Command("reset", ":reset", "start a new empty session", ops.reset),
    Command("cost", ":cost", "show cost and token use of this session", ops.cost),
    Command("lua", ":lua CODE", "run Lua code", ops.lua),
    Command("set", ":set vim|novim", "switch vim or emacs key bindings", ops.set_option),
    Command("help", ":help", "list commands", lambda shell, args: shell.print(help_text(shell))),
    Command("quit", ":quit", "leave smelt-repl (also :q)", ops.quit),
    Command("q", ":q", "leave smelt-repl", ops.quit),
)
_BY_NAME = {command.name: command for command in BUILTINS}


def parse(line: str) -> tuple[str, str]:
    """``":name  args "`` → ``("name", "args")``; the name ends at the first whitespace."""
    parts = line.strip()[1:].strip().split(None, 1)
    return (parts[0], parts[1].strip() if len(parts) > 1 else "") if parts else ("", "")


def run(shell: ShellOps, line: str) -> None:
    """Run one meta-command line; problems are printed, never raised."""
    name, args = parse(line)
    run_guarded(shell, name, lambda: _dispatch(shell, name, args))


def _dispatch(shell: ShellOps, name: str, args: str) -> None:
    if not name:
        raise CommandError("empty command (try :help)")
    command = _BY_NAME.get(name)
    if command is not None:
        command.run(shell, args)
    elif name in lua_commands(shell):
        shell.host.run_command(name, args)
    else:
        raise CommandError(f'unknown command ":{name}" (try :help)')


def builtin(name: str) -> Command | None:
    """The built-in command ``name``, None when there is none."""
    return _BY_NAME.get(name)


def enters_lua(shell: ShellOps, line: str) -> bool:
    """True when running ``line`` runs Lua code (``:lua``, a Lua-registered command)."""
    name, _ = parse(line)
    return name == "lua" or name in lua_commands(shell)


def lua_commands(shell: ShellOps) -> dict[str, str]:
    """Lua-registered commands (name → description), built-ins excluded."""
    if shell.host is None:
        return {}
    return {name: desc or "" for name, desc in shell.host.commands() if name not in _BY_NAME}


def all_commands(shell: ShellOps) -> list[tuple[str, str]]:
    """Every command name with its one-line description, built-ins first."""
    return [(c.name, c.desc) for c in BUILTINS] + sorted(lua_commands(shell).items())


def help_text(shell: ShellOps) -> str:
    """The ``:help`` listing."""
    lines = ["Commands:"] + [f"  {c.usage:<20} {c.desc}" for c in BUILTINS if c.name != "q"]
    lua = sorted(lua_commands(shell).items())
    if lua:
        lines += ["Lua commands:"] + [f"  :{name:<19} {desc}" for name, desc in lua]
    keymaps = shell.user_keymaps()
    if keymaps:
        lines += ["Lua keymaps:"] + [f"  {mode} {keys:<17} {desc}".rstrip() for mode, keys, desc in keymaps]
    lines += ["Keys: Enter sends · Alt-Enter/Ctrl-J newline · Ctrl-C cancels a reply, "
              "then exits · Esc Esc (normal mode, empty prompt) rewinds"]
    return "\n".join(lines)


class CommandCompleter(Completer):
    """Completes ``:name`` with descriptions, then arguments of some commands."""

    def __init__(self, shell: ShellOps) -> None:
        self.shell = shell

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        text = document.text_before_cursor
        if not text.startswith(":") or "\n" in text:
            return
        body = text[1:]
        if " " not in body:
            for name, desc in all_commands(self.shell):
                if name.startswith(body):
                    yield Completion(name, -len(body), display=f":{name}", display_meta=desc)
            return
        name, _, arg = body.partition(" ")
        for value, meta in ops.argument_choices(self.shell, name, arg.lstrip(),
                                                complete_event.completion_requested):
            if value.startswith(arg.lstrip()):
                yield Completion(value, -len(arg.lstrip()), display_meta=meta)
