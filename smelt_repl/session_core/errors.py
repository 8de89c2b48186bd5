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
