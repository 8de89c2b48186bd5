"""Tiers and the guard every Python function exposed to Lua goes through.

A guarded function never raises into Lua: it returns ``(error_text, None)`` or
``(None, value)`` and the Lua side (``prelude.API_LUA``) raises the text as a Lua error,
so ``pcall`` sees exactly the person-readable message. UiHost-tier functions refuse to run
without a terminal UI (headless mode).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import Enum
from typing import Any

from smelt_repl.session_core import SessionError

log = logging.getLogger("smelt.lua_host")  # under "smelt": the app log, never the terminal

Guarded = Callable[..., tuple[str | None, Any]]


class Tier(Enum):
    """Where a function works: everywhere (HOST) or only with the terminal UI (UI)."""

    HOST = "Host"
    UI = "UiHost"


class LuaApiError(Exception):
    """A script used the API wrongly (bad argument, unknown name); the message is for a person."""


def ui_only_message(name: str) -> str:
    """The error a UiHost-tier function raises in headless mode, e.g. for ``session.id``."""
    return f"smelt.{name} is UiHost-only: it needs the terminal UI (headless mode)"


def guard(name: str, fn: Callable[..., Any], tier: Tier, has_ui: Callable[[], bool],
          on_keyboard_interrupt: Callable[[], None]) -> Guarded:
    """Wrap ``fn`` (exposed as ``smelt.<name>``) so every outcome is an ``(error, value)`` pair."""
    refusal = ui_only_message(name)

    def guarded(*args: Any) -> tuple[str | None, Any]:
        if tier is Tier.UI and not has_ui():
            return refusal, None
        try:
            return None, fn(*args)
        except UnicodeDecodeError:
            return f"smelt.{name}: text is not valid UTF-8", None
        except (LuaApiError, SessionError, ValueError, OSError) as exc:
            return str(exc) or type(exc).__name__, None
        except KeyboardInterrupt:
            on_keyboard_interrupt()
            return "interrupted", None
        except Exception as exc:  # a bug below us: keep the script's host alive, log the detail
            log.exception("smelt.%s failed", name)
            return f"smelt.{name}: {type(exc).__name__}: {exc}", None

    return guarded
