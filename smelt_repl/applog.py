"""The application log: warnings (corrupt lines, failed caches...) go to ``<state>/logs/``."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from smelt_repl.private_files import open_private

LOG_FILE = "smelt-repl.log"


class _PrivateFileHandler(logging.FileHandler):
    """A FileHandler that opens its file only through ``private_files`` (never a symlink) and
    drops records quietly when it cannot: the log must never print over the prompt."""

    def _open(self):  # noqa: ANN202 - logging's own signature
        fd = open_private(Path(self.baseFilename), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        return os.fdopen(fd, "a", encoding=self.encoding or "utf-8")

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        pass


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
    handler = _PrivateFileHandler(directory / LOG_FILE, delay=True, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._smelt_app_log = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
