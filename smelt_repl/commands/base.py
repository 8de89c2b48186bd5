"""What every meta-command is built on: the shell as commands see it (``ShellOps``), the
command record, and the one-line error handling at the edge."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from smelt_repl.app import App
    from smelt_repl.pickers import Choice, SearchModel

log = logging.getLogger("smelt.shell")


class ShellOps(Protocol):
    """What commands need from the shell."""

    app: App
    host: Any

    def print(self, text: str) -> None: ...
    def print_error(self, text: str) -> None: ...
    def open_picker(self, title: str, choices: list[Choice], on_pick: Callable[[Any], None],
                    index: int = 0, on_dismiss: Callable[[], None] | None = None) -> None: ...
    def open_search_picker(self, model: SearchModel, on_pick: Callable[[Any], None]) -> None: ...
    def set_vim(self, enabled: bool) -> None: ...
    def quit(self) -> None: ...
    def can_send(self) -> bool: ...
    def send_to_terminal(self, control: str) -> None: ...
    def on_ui(self, operation: Callable[[], None]) -> None: ...
    shown_from: int
    pending_attachments: list[str]
    def show_history(self, turns: int) -> int: ...
    def send_message(self, text: str, attachments: list[dict] | None = None) -> bool: ...
    def start_compaction(self, guidance: str) -> bool: ...
    def user_keymaps(self) -> list[tuple[str, str, str]]: ...
    def lua_host(self) -> Any: ...


@dataclass(frozen=True)
class Command:
    """A built-in meta-command."""

    name: str
    usage: str
    desc: str
    run: Callable[[ShellOps, str], None]


class CommandError(ValueError):
    """A meta-command was used wrongly; the message says how to use it."""


def no_args(name: str, args: str) -> None:
    """Refuse arguments for a command that takes none."""
    if args:
        raise CommandError(f":{name} takes no arguments")


def run_guarded(shell: ShellOps, name: str, operation: Callable[[], None]) -> None:
    """Run ``operation``; user-facing errors become one red line, bugs one line and a log entry."""
    from smelt_repl.app import ConfigError
    from smelt_repl.session_core import SessionError

    try:
        operation()
    except (CommandError, SessionError, ConfigError) as exc:
        shell.print_error(str(exc))
    except Exception as exc:  # a bug must not take the REPL down
        log.exception(":%s failed", name)
        shell.print_error(f":{name} failed: {type(exc).__name__}: {exc}")


def guarded(shell: ShellOps, operation: Callable[..., None], *args: object) -> None:
    """Run a picker's follow-up operation with the same error handling as a command."""
    run_guarded(shell, "picker", lambda: operation(shell, *args))
