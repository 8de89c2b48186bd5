"""Commands on the saved sessions: pick one, load one, delete one."""

from __future__ import annotations

from collections.abc import Callable

from smelt_repl.commands.base import CommandError, ShellOps, guarded, no_args
from smelt_repl.pickers import Choice
from smelt_repl.session_picker import SessionPicker


def sessions(shell: ShellOps, args: str) -> None:
    """``:sessions``: pick a saved session to load, typing to filter (see session_picker.py)."""
    no_args("sessions", args)
    model = SessionPicker(shell.app.store, shell.app.session.id, shell.app.cwd, shell.on_ui)
    if not model.has_other_sessions():
        shell.print("no other saved sessions")
        return
    _show(shell, model)


def _show(shell: ShellOps, model: SessionPicker) -> None:
    def reopen() -> None:
        model.reload()
        _show(shell, model)

    model.on_delete = lambda session_id: guarded(shell, ask_delete, session_id, reopen)
    shell.open_search_picker(model, lambda session_id: guarded(shell, load, session_id))


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
    ask_delete(shell, args)


def ask_delete(shell: ShellOps, id_or_prefix: str, then: Callable[[], None] | None = None) -> None:
    """Ask y/N, then delete the session (never the current one); ``then`` runs after the
    answer, or after the question is closed unanswered."""
    session_id = shell.app.store.resolve(id_or_prefix)
    if session_id == shell.app.session.id:
        raise CommandError("that is the session you are in: :reset or :load another first")
    label = next((row.get("title") or row.get("subtitle") or "" for row in shell.app.list_sessions()
                  if row["id"] == session_id), "")
    choices = [Choice("no, keep it", False, key="n"),
               Choice(f"yes, delete {session_id[:8]} {label[:50]}".rstrip(), True, key="y")]

    def answer(yes: bool) -> None:
        if yes:
            guarded(shell, _delete_now, session_id)
        else:
            shell.print("kept")
        if then is not None:
            then()

    shell.open_picker(f"delete session {session_id[:8]}? (y/N)", choices, answer, on_dismiss=then)


def _delete_now(shell: ShellOps, session_id: str) -> None:
    shell.app.delete(session_id)
    shell.print(f"deleted session {session_id[:8]}")
