"""``:export [PATH]``: this conversation as a Markdown file."""

from __future__ import annotations

from pathlib import Path

from smelt_repl.commands.base import CommandError, ShellOps
from smelt_repl.export import conversation_markdown, default_export_path, write_new_file


def export(shell: ShellOps, args: str) -> None:
    """Write the live conversation as Markdown to PATH (default: a new file in the cwd)."""
    app, session = shell.app, shell.app.session
    if not session.messages:
        raise CommandError("nothing to export yet")
    try:
        model = app.resolved_model().key
    except Exception:  # an unusable model still lets the conversation be exported
        model = None
    text = conversation_markdown(session.messages, title=session.title, model=model, cwd=app.cwd,
                                 created_at_ms=session.created_at_ms)
    target = Path(args).expanduser() if args else default_export_path(app.cwd, session.title)
    if not target.is_absolute():
        target = Path(app.cwd) / target
    try:
        written = write_new_file(target, text)
    except OSError as exc:
        raise CommandError(f"cannot write {target}: {exc.strerror or exc}") from None
    shell.print(f"exported to {written}")
