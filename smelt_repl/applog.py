"""The application log: warnings (corrupt lines, failed caches...) go to ``<state>/logs/``."""

from __future__ import annotations

import logging

LOG_FILE = "smelt-repl.log"


def setup_app_log() -> None:
    """Send the ``smelt`` loggers' warnings to the app log file (created on first warning)."""
    from smelt_repl.paths import logs_dir

    logger = logging.getLogger("smelt")
    if any(getattr(h, "_smelt_app_log", False) for h in logger.handlers):
        return
    directory = logs_dir()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return
    handler = logging.FileHandler(directory / LOG_FILE, delay=True, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._smelt_app_log = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
