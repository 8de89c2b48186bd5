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
def ui():
    """A UiHost that records what the core asked of the terminal."""
    from tests.recording_ui import RecordingUi

    return RecordingUi()


@pytest.fixture
def app(store, tmp_path, ui):
    """A started App on the temp store with the recording UI host (offline model)."""
    from smelt_repl.app import App

    application = App(store, cwd=str(tmp_path), ui=ui, env={})
    application.start()
    yield application
    application.shutdown()


@pytest.fixture
def headless_app(store, tmp_path):
    """A started App with no UI host (headless mode)."""
    from smelt_repl.app import App

    application = App(store, cwd=str(tmp_path), env={})
    application.start()
    yield application
    application.shutdown()


@pytest.fixture
def store(xdg: dict[str, Path]):
    """A SessionStore at the XDG sessions root."""
    from smelt_repl.paths import sessions_root
    from smelt_repl.session_core import SessionStore

    return SessionStore(sessions_root())
from tests.conftest_providers import *  # noqa: F401,F403
