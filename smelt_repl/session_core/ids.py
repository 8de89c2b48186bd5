"""Session ids: generation, validation (before any disk access) and prefix resolution."""

from __future__ import annotations

import os
from collections.abc import Iterable

from smelt_repl.session_core.errors import AmbiguousSessionId, InvalidSessionId, SessionNotFound

MAX_ID_LENGTH = 128
MIN_PREFIX_LENGTH = 4


def new_session_id() -> str:
    """A fresh random id: 64 lowercase hex characters."""
    return os.urandom(32).hex()


def validate_session_id(session_id: object) -> str:
    """Return ``session_id`` if it is a plain directory name, else raise InvalidSessionId.

    Refused: non-strings, empty, longer than 128 characters, NUL or other control
    characters, ``/`` or ``\\``, ``.``/``..`` and any leading dot (reserved for the
    store's own files), and anything absolute.
    """
    if not isinstance(session_id, str):
        raise InvalidSessionId(f"invalid session id: expected a string, got {type(session_id).__name__}")
    shown = _shown(session_id)
    if not session_id:
        raise InvalidSessionId("invalid session id: it is empty")
    if len(session_id) > MAX_ID_LENGTH:
        raise InvalidSessionId(f"invalid session id {shown}: longer than {MAX_ID_LENGTH} characters")
    if any(ord(ch) < 32 or ch == "\x7f" for ch in session_id):
        raise InvalidSessionId(f"invalid session id {shown}: contains a control character")
    if "/" in session_id or "\\" in session_id or os.sep in session_id:
        raise InvalidSessionId(f"invalid session id {shown}: contains a path separator")
    if session_id.startswith(".") or session_id.strip() != session_id:
        raise InvalidSessionId(f"invalid session id {shown}: not a plain directory name")
    return session_id


def is_valid_session_id(name: str) -> bool:
    """True when ``name`` would pass validate_session_id."""
    try:
        validate_session_id(name)
    except InvalidSessionId:
        return False
    return True


def resolve_prefix(prefix: str, candidates: Iterable[str]) -> str:
    """Resolve an exact id or a unique prefix of at least 4 characters among ``candidates``."""
    validate_session_id(prefix)
    names = list(candidates)
    if prefix in names:
        return prefix
    if len(prefix) < MIN_PREFIX_LENGTH:
        raise SessionNotFound(
            f"no session {prefix!r} (a prefix needs at least {MIN_PREFIX_LENGTH} characters)"
        )
    matches = sorted(name for name in names if name.startswith(prefix))
    if not matches:
        raise SessionNotFound(f"no session matches {prefix!r}")
    if len(matches) > 1:
        shown = ", ".join(m[:12] for m in matches[:5]) + (", ..." if len(matches) > 5 else "")
        raise AmbiguousSessionId(f"session prefix {prefix!r} is ambiguous: {len(matches)} matches ({shown})")
    return matches[0]


def _shown(session_id: str) -> str:
    text = repr(session_id)
    return text if len(text) <= 40 else text[:37] + "...'"
