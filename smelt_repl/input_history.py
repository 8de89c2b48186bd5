"""The prompt's input history: one file per project (the directory the REPL started in),
under the XDG state directory, so Up walks what was typed in this project before."""

from __future__ import annotations

import hashlib
import os

from prompt_toolkit.history import FileHistory, History, InMemoryHistory


def project_history(cwd: str) -> History:
    """The input history of the project in ``cwd`` (a file under the XDG state dir)."""
    from smelt_repl.paths import state_dir

    directory = state_dir() / "history"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return InMemoryHistory()
    digest = hashlib.sha256(os.path.abspath(cwd).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return FileHistory(str(directory / digest))
