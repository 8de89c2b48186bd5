"""The prompt's input history: one file per project (the directory the REPL started in),
under the XDG state directory, so Up walks what was typed in this project before.

The file format is prompt_toolkit's FileHistory one (a ``# time`` line, then each line of the
entry prefixed with ``+``), so older files keep working; the file is opened only through
``private_files`` (never through a symlink).
"""

from __future__ import annotations

import datetime
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from prompt_toolkit.history import History, InMemoryHistory

from smelt_repl.private_files import open_private


class ProjectHistory(History):
    """Entries kept in one file, newest last on disk."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def load_history_strings(self) -> Iterable[str]:
        """The entries, newest first (what prompt_toolkit expects)."""
        try:
            with os.fdopen(open_private(self.path, os.O_RDONLY), "rb") as file:
                data = file.read()
        except OSError:  # missing, or refused: no history
            return []
        entries: list[str] = []
        lines: list[str] = []
        for raw in data.decode("utf-8", "replace").splitlines(keepends=True):
            if raw.startswith("+"):
                lines.append(raw[1:])
            elif lines:
                entries.append("".join(lines)[:-1])
                lines = []
        if lines:
            entries.append("".join(lines)[:-1])
        return list(reversed(entries))

    def store_string(self, string: str) -> None:
        """Append one entry (a history that cannot be written is not an error)."""
        text = f"\n# {datetime.datetime.now()}\n" + "".join(f"+{line}\n" for line in string.split("\n"))
        try:
            with os.fdopen(open_private(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT), "ab") as file:
                file.write(text.encode("utf-8", "replace"))
        except OSError:
            pass


def project_history(cwd: str) -> History:
    """The input history of the project in ``cwd`` (a file under the XDG state dir)."""
    from smelt_repl.paths import state_dir

    directory = state_dir() / "history"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return InMemoryHistory()
    digest = hashlib.sha256(os.path.abspath(cwd).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return ProjectHistory(directory / digest)
