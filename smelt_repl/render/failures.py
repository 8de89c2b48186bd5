"""Rendering failures: a reply is never lost to one, and each kind is logged once.

A bug in a lexer or the markdown parser would otherwise fail on every delta of a long reply;
the first occurrence of each (place, exception type) goes to the app log, later ones are quiet.
"""

from __future__ import annotations

LOGGER_NAME = "smelt.render"

_reported: set[tuple[str, str]] = set()


def report_failure(where: str, exc: BaseException) -> None:
    """Log `exc` (being handled at `where`) with its traceback, unless this kind was logged."""
    kind = (where, type(exc).__qualname__)
    if kind in _reported:
        return
    _reported.add(kind)
    import logging  # only when something failed: importing the renderer stays cheap

    logging.getLogger(LOGGER_NAME).warning(
        "%s failed (%s); showing the text without markup. Later failures of this kind are not logged.",
        where, type(exc).__name__, exc_info=exc)
