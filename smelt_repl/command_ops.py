"""What each built-in meta-command does, in terms of ``App`` operations and shell output.

Each function takes the shell (``commands.ShellOps``) and the argument text. Errors meant
for the user are raised (``CommandError``, session and config errors) and turned into one
red line by ``commands.run``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from smelt_repl.pickers import session_choices, turn_choices
from smelt_repl.status import context_text

if TYPE_CHECKING:
    from smelt_repl.commands import ShellOps


log = logging.getLogger("smelt.shell")


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


def quit(shell: ShellOps, args: str) -> None:  # noqa: A001 - the command's name
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
        yield "undo", "bring back what the last rewind cut"
        for n, turn in enumerate(shell.app.session.turns(), 1):
            yield str(n), turn.label
    elif name in ("load", "delete") and requested:
        for row in shell.app.list_sessions()[:50]:
            label = row.get("title") or row.get("subtitle") or ""
            yield row["id"][:8], " ".join(str(label).split())[:60]
