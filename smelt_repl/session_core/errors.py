"""Typed errors of the session core; each message is written for a person, on one line."""

from __future__ import annotations


class SessionError(Exception):
    """Base class of every error the session core raises on purpose."""


class InvalidSessionId(SessionError):
    """The id is not a plain directory name of the sessions root."""


class SessionNotFound(SessionError):
    """No persisted session has that id (or prefix)."""


class AmbiguousSessionId(SessionError):
    """A prefix matches more than one session."""


class SessionLocked(SessionError):
    """Another live process has the session open."""


class SessionRefused(SessionError):
    """The operation is not allowed in the current state (e.g. deleting the current session)."""


class SessionDamaged(SessionError):
    """A session (or a file of the store) cannot be used as it is on disk."""


class UnsafeStoreFile(SessionDamaged):
    """A path in the store is a symlink or not the kind of file expected; it is never followed."""


class StoreIOError(SessionError):
    """The disk refused a read or a write of the store (permissions, disk full, I/O error)."""


def describe(exc: BaseException) -> str:
    """The reason in an error met in the store, for a person: an OSError's text ("Permission
    denied"), else the message."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)
