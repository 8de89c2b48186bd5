"""Where smelt-repl keeps its files, resolved with platformdirs so XDG variables are honoured."""

from __future__ import annotations

from pathlib import Path

APP_NAME = "smelt"


def state_dir() -> Path:
    """The per-user state directory (sessions, logs)."""
    from platformdirs import user_state_dir

    return Path(user_state_dir(APP_NAME))


def sessions_root() -> Path:
    """The directory that holds one sub-directory per session."""
    return state_dir() / "sessions"


def logs_dir() -> Path:
    """The directory of the application log."""
    return state_dir() / "logs"


def config_dir() -> Path:
    """The per-user config directory (init.lua, plugins/)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME))
