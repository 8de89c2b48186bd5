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

    Refused: non-strings, empty, longer than 128 characters, text that is not valid UTF-8
    (a directory name with undecodable bytes), control or other unprintable characters,
    ``/`` or ``\\``, ``.``/``..`` and any leading dot (reserved for the store's own files),
    and anything absolute.
    """
    if not isinstance(session_id, str):
        raise InvalidSessionId(f"invalid session id: expected a string, got {type(session_id).__name__}")
    if not session_id:
        raise InvalidSessionId("invalid session id: it is empty")
    if len(session_id) > MAX_ID_LENGTH:
        raise InvalidSessionId(f"invalid session id {_shown(session_id)}: longer than {MAX_ID_LENGTH} characters")
    if not session_id.isprintable():
        if _has_surrogates(session_id):
            raise InvalidSessionId(f"invalid session id {_shown(session_id)}: not valid UTF-8")
        raise InvalidSessionId(f"invalid session id {_shown(session_id)}: contains a control or unprintable character")
    if "/" in session_id or "\\" in session_id or os.sep in session_id:
        raise InvalidSessionId(f"invalid session id {_shown(session_id)}: contains a path separator")
    if session_id.startswith(".") or session_id.strip() != session_id:
        raise InvalidSessionId(f"invalid session id {_shown(session_id)}: not a plain directory name")
    return session_id


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


def shown_name(name: str) -> str:
    """A directory name as messages show it: as is when printable, else escaped (its bytes
    when it is not valid UTF-8), so no name can write control characters to a terminal."""
    return name if name.isprintable() else _escaped(name)


def session_label(session_id: str) -> str:
    """How messages name a session: ``session 1a2b3c4d``."""
    return f"session {shown_name(session_id[:8])}"


def _has_surrogates(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def _escaped(name: str) -> str:
    return repr(os.fsencode(name)) if _has_surrogates(name) else repr(name)


def _shown(session_id: str) -> str:
    text = _escaped(session_id)
    return text if len(text) <= 40 else text[:37] + "...'"
