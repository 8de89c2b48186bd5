"""The session core: sessions on disk, with no knowledge of the terminal UI or Lua.

Public surface: ``SessionStore`` (a sessions root), ``Session`` (an open session), the
typed errors, and id helpers.
"""

from smelt_repl.session_core.errors import (
    AmbiguousSessionId,
    InvalidSessionId,
    SessionDamaged,
    SessionError,
    SessionLocked,
    SessionNotFound,
    SessionRefused,
    StoreIOError,
    UnsafeStoreFile,
)
from smelt_repl.session_core.history import Turn
from smelt_repl.session_core.ids import new_session_id, validate_session_id
from smelt_repl.session_core.session import RewindResult, Session
from smelt_repl.session_core.store import SessionStore

__all__ = [
    "AmbiguousSessionId",
    "InvalidSessionId",
    "RewindResult",
    "Session",
    "SessionDamaged",
    "SessionError",
    "SessionLocked",
    "SessionNotFound",
    "SessionRefused",
    "SessionStore",
    "StoreIOError",
    "Turn",
    "UnsafeStoreFile",
    "new_session_id",
    "validate_session_id",
]
