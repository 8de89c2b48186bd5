"""Commands on the saved sessions: pick one, load one, delete one."""

from __future__ import annotations

from smelt_repl.commands.base import CommandError, ShellOps, guarded, no_args
from smelt_repl.pickers import Choice, session_choices


def sessions(shell: ShellOps, args: str) -> None:
    """``:sessions``: pick a saved session to load."""
    no_args("sessions", args)
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
    """``:delete ID``: remove a saved session (never the current one), after a y/N question."""
    if not args:
        raise CommandError("usage: :delete ID")
    session_id = shell.app.store.resolve(args)
    if session_id == shell.app.session.id:
        raise CommandError("that is the session you are in: :reset or :load another first")
    label = next((row.get("title") or row.get("subtitle") or "" for row in shell.app.list_sessions()
                  if row["id"] == session_id), "")
    choices = [Choice("no, keep it", False, key="n"),
               Choice(f"yes, delete {session_id[:8]} {label[:50]}".rstrip(), True, key="y")]
    shell.open_picker(f"delete session {session_id[:8]}? (y/N)", choices,
                      lambda yes: guarded(shell, _delete_now, session_id) if yes else shell.print("kept"))


def _delete_now(shell: ShellOps, session_id: str) -> None:
    shell.app.delete(session_id)
    shell.print(f"deleted session {session_id[:8]}")
