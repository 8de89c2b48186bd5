"""Commands on the program itself: what the session cost, Lua, key bindings, quitting."""

from __future__ import annotations

from smelt_repl.commands.base import CommandError, ShellOps, no_args
from smelt_repl.status import context_text


def cost(shell: ShellOps, args: str) -> None:
    """``:cost``: money and tokens spent by this session."""
    no_args("cost", args)
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
    host = shell.lua_host()
    if host is None:
        raise CommandError("Lua is not available")
    host.exec(args, "=:lua")


def set_option(shell: ShellOps, args: str) -> None:
    """``:set vim`` / ``:set novim``."""
    if args not in ("vim", "novim"):
        raise CommandError(f'bad argument "{args}": usage :set vim|novim')
    shell.set_vim(args == "vim")


def quit_(shell: ShellOps, args: str) -> None:
    """``:quit`` / ``:q``."""
    del args
    shell.quit()
