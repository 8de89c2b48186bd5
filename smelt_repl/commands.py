"""Meta-commands (``:name args``): what each built-in does, the table, dispatch, ``:help``
text and Tab completion.

Each built-in takes the shell (``ShellOps``) and the argument text and works through ``App``
operations. Built-in commands win over Lua commands of the same name. Every error a user
can cause (bad arguments, unknown ids, refused operations, config problems) is raised
(``CommandError``, session and config errors) and becomes one red line; the REPL carries on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from smelt_repl.events import EVENTS
from smelt_repl.lua.registries import split_command_line
from smelt_repl.pickers import session_choices, turn_choices
from smelt_repl.session_core.content import message_text
from smelt_repl.settings import SETTINGS, type_name
from smelt_repl.status import context_text

if TYPE_CHECKING:
    from smelt_repl.app import App
    from smelt_repl.pickers import Choice

__all__ = ["BUILTINS", "CommandCompleter", "CommandError", "ShellOps", "builtin", "enters_lua", "help_lua",
           "help_settings", "help_text", "run", "run_guarded"]

log = logging.getLogger("smelt.shell")


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
    def can_send(self) -> bool: ...
    def send_message(self, text: str) -> bool: ...
    def user_keymaps(self) -> list[tuple[str, str, str]]: ...


@dataclass(frozen=True)
class Command:
    """A built-in meta-command."""

    name: str
    usage: str
    desc: str
    run: Callable[[ShellOps, str], None]


class CommandError(ValueError):
    """A meta-command was used wrongly; the message says how to use it."""


def _no_args(name: str, args: str) -> None:
    if args:
        raise CommandError(f":{name} takes no arguments")


def rewind(shell: ShellOps, args: str) -> None:
    """``:rewind`` (picker), ``:rewind N`` (N-th turn, from 1), ``:rewind undo``."""
    if not args:
        open_rewind_picker(shell)
    elif args == "undo":
        shell.app.undo_rewind()
    elif args.isdigit():
        turns = shell.app.session.turns()
        n = int(args)
        if not 1 <= n <= len(turns):
            have = f"turns 1-{len(turns)}" if turns else "no turns yet"
            raise CommandError(f"no turn {n} to rewind to ({have})")
        rewind_to(shell, turns[n - 1].block_idx)
    else:
        raise CommandError(f'bad argument "{args}": usage :rewind [N|undo]')


def open_rewind_picker(shell: ShellOps) -> None:
    """Offer the turns of the live history; picking one rewinds to it."""
    turns = shell.app.session.turns()
    if not turns:
        shell.print("nothing to rewind")
        return
    shell.open_picker("rewind to which turn?  (Enter picks, Esc cancels)", turn_choices(turns),
                      lambda block_idx: guarded(shell, rewind_to, block_idx), index=len(turns) - 1)


def rewind_to(shell: ShellOps, block_idx: int) -> None:
    """Rewind to the user turn at ``block_idx``; its text comes back into the prompt."""
    app = shell.app
    app.rewind_to(block_idx, restore_vim_insert=bool(app.settings.get("restore_vim_insert", True)))


def fork(shell: ShellOps, args: str) -> None:
    """``:fork``: continue in a copy; the original stays as it is."""
    _no_args("fork", args)
    parent = shell.app.session.id
    shell.app.fork()
    shell.print(f"forked {parent[:8]} → {shell.app.session.id[:8]} (you are in the fork)")


def sessions(shell: ShellOps, args: str) -> None:
    """``:sessions``: pick a saved session to load."""
    _no_args("sessions", args)
    rows = shell.app.list_sessions()
    if not rows:
        shell.print("no other saved sessions")
        return
    shell.open_picker("load which session?  (Enter loads, Esc cancels)", session_choices(rows),
                      lambda session_id: guarded(shell, load, session_id))


def load(shell: ShellOps, args: str) -> None:
    """``:load ID``: switch to a saved session and replay it."""
    if not args:
        raise CommandError("usage: :load ID")
    before = shell.app.session.id
    shell.app.load(args)
    if shell.app.session.id == before:
        shell.print(f"already in session {before[:8]}")


def delete(shell: ShellOps, args: str) -> None:
    """``:delete ID``: remove a saved session (never the current one)."""
    if not args:
        raise CommandError("usage: :delete ID")
    session_id = shell.app.store.resolve(args)
    shell.app.delete(session_id)
    shell.print(f"deleted session {session_id[:8]}")


def reset(shell: ShellOps, args: str) -> None:
    """``:reset``: a new empty session; the old one stays on disk."""
    _no_args("reset", args)
    shell.app.reset()
    shell.print(f"new session {shell.app.session.id[:8]}")


def cost(shell: ShellOps, args: str) -> None:
    """``:cost``: money and tokens spent by this session."""
    _no_args("cost", args)
    shell.print(cost_table(shell))


def cost_table(shell: ShellOps) -> str:
    """The ``:cost`` report."""
    session = shell.app.session
    tokens = session.tokens()
    ratio = tokens.get("cache_hit_ratio")
    rows = [
        ("cost", f"${session.cost():.4f}"),
        ("input", f"{tokens.get('input', 0):,}"),
        ("output", f"{tokens.get('output', 0):,}  (reasoning {tokens.get('reasoning', 0):,})"),
        ("cache read", f"{tokens.get('cache_read', 0):,}"),
        ("cache write", f"{tokens.get('cache_write', 0):,}"),
        ("total", f"{tokens.get('total', 0):,}"),
        ("cache hits", "-" if ratio is None else f"{ratio:.0%}"),
        ("context", context_text(session.context_tokens(), shell.app.context_window())[4:]),
    ]
    return "\n".join(f"  {name:<12} {value}" for name, value in rows)


def retry(shell: ShellOps, args: str) -> None:
    """``:retry``: send a failed message again, or regenerate the last reply."""
    _no_args("retry", args)
    if not shell.can_send():
        raise CommandError("a reply is still streaming: Ctrl-C cancels it, then :retry")
    shell.send_message(message_text(shell.app.content_to_retry()))


def lua(shell: ShellOps, args: str) -> None:
    """``:lua CODE``: run Lua in the config's runtime."""
    if not args:
        raise CommandError("usage: :lua CODE")
    if shell.host is None:
        raise CommandError("Lua is not available")
    shell.host.exec(args, "=:lua")


def set_option(shell: ShellOps, args: str) -> None:
    """``:set vim`` / ``:set novim``."""
    if args not in ("vim", "novim"):
        raise CommandError(f'bad argument "{args}": usage :set vim|novim')
    shell.set_vim(args == "vim")


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


def quit_(shell: ShellOps, args: str) -> None:
    """``:quit`` / ``:q``."""
    del args
    shell.quit()


def run_guarded(shell: ShellOps, name: str, operation: Callable[[], None]) -> None:
    """Run ``operation``; user-facing errors become one red line, bugs one line and a log entry."""
    from smelt_repl.app import ConfigError
    from smelt_repl.session_core import SessionError

    try:
        operation()
    except (CommandError, SessionError, ConfigError) as exc:
        shell.print_error(str(exc))
    except Exception as exc:  # a bug must not take the REPL down
        log.exception(":%s failed", name)
        shell.print_error(f":{name} failed: {type(exc).__name__}: {exc}")


def guarded(shell: ShellOps, operation: Callable[..., None], *args: object) -> None:
    """Run a picker's follow-up operation with the same error handling as a command."""
    run_guarded(shell, "picker", lambda: operation(shell, *args))


def argument_choices(shell: ShellOps, name: str, arg: str, requested: bool) -> Iterator[tuple[str, str]]:
    """Completions for the argument of command ``name``: (value, description) pairs.

    Session ids are offered only on an explicit Tab (listing can be slow on big stores).
    """
    if name == "set":
        yield from (("vim", "vim key bindings"), ("novim", "emacs key bindings"))
    elif name == "rewind":
        if shell.app.session.can_undo_rewind:
            yield "undo", "bring back what the last rewind cut"
        for n, turn in enumerate(shell.app.session.turns(), 1):
            yield str(n), turn.label
    elif name == "help":
        yield from HELP_TOPICS.items()
    elif name in ("load", "delete") and requested:
        for row in shell.app.list_sessions()[:50]:
            label = row.get("title") or row.get("subtitle") or ""
            yield row["id"][:8], " ".join(str(label).split())[:60]


BUILTINS: tuple[Command, ...] = (
    Command("rewind", ":rewind [N|undo]", "cut the history back to turn N (picker without N)", rewind),
    Command("fork", ":fork", "continue in a copy of this session", fork),
    Command("sessions", ":sessions", "pick a saved session to load", sessions),
    Command("load", ":load ID", "switch to a saved session (id or prefix)", load),
    Command("delete", ":delete ID", "delete a saved session", delete),
    Command("reset", ":reset", "start a new empty session", reset),
    Command("retry", ":retry", "send the failed message again, or regenerate the last reply", retry),
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
    name, _ = split_command_line(line)
    return name == "lua" or name in lua_commands(shell)


def lua_commands(shell: ShellOps) -> dict[str, str]:
    """Lua-registered commands (name → description), built-ins excluded."""
    if shell.host is None:
        return {}
    return {name: desc or "" for name, desc in shell.host.commands() if name not in _BY_NAME}


def known_names(shell: ShellOps) -> set[str]:
    """Every command name a line may start with (built-in or Lua-registered)."""
    return set(_BY_NAME) | set(lua_commands(shell))


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


class CommandCompleter(Completer):
    """Completes ``:name`` with descriptions, then arguments of some commands."""

    def __init__(self, shell: ShellOps) -> None:
        self.shell = shell

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        text = document.text_before_cursor
        if not text.startswith(":") or "\n" in text:
            return
        body = text[1:]
        name, _ = split_command_line(body)
        rest = body.lstrip()[len(name):]
        if not rest:  # still typing the name
            for command, desc in all_commands(self.shell):
                if command.startswith(name):
                    yield Completion(command, -len(body), display=f":{command}", display_meta=desc)
            return
        arg = rest.lstrip()
        for value, meta in argument_choices(self.shell, name, arg, complete_event.completion_requested):
            if value.startswith(arg):
                yield Completion(value, -len(arg), display_meta=meta)
