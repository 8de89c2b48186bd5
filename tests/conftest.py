"""Shared fixtures: temp XDG directories, a session store in them, and real-thing helpers."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point XDG state/config/data/cache at fresh temp dirs; returns them by name."""
    dirs = {}
    for name in ("STATE", "CONFIG", "DATA", "CACHE"):
        path = tmp_path / f"xdg-{name.lower()}"
        path.mkdir()
        monkeypatch.setenv(f"XDG_{name}_HOME", str(path))
        dirs[name.lower()] = path
    monkeypatch.delenv("SMELT_MODEL", raising=False)
    return dirs


@pytest.fixture
def store(xdg: dict[str, Path]):
    """A SessionStore at the XDG sessions root."""
    from smelt_repl.paths import sessions_root
    from smelt_repl.session_core import SessionStore

    return SessionStore(sessions_root())
from tests.conftest_providers import *  # noqa: F401,F403
