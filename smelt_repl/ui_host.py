"""The UI host interface: what the core and the Lua host may ask of the terminal UI.

``shell.py`` implements it. In headless mode there is no UI host (``None``), and every
UiHost-tier Lua function raises instead of calling it.
"""

from __future__ import annotations

from typing import Protocol


class UiHost(Protocol):
    """The terminal UI as seen from below; every method is safe to call from the UI thread."""

    def set_prompt_text(self, text: str) -> None:
        """Replace the prompt's text, cursor at its end."""

    def enter_vim_insert(self) -> None:
        """Leave the prompt in vim insert mode (no-op with emacs bindings)."""

    def output(self, text: str) -> None:
        """Print plain text into the scrollback above the prompt."""

    def error(self, text: str) -> None:
        """Print one error line into the scrollback."""

    def show_session(self, messages: list[dict], reset_mode: bool = True) -> None:
        """Clear the prompt and picker and replay ``messages`` onto the screen; with
        ``reset_mode`` (load, reset, resume) the prompt goes back to vim insert mode too,
        without it (rewind) the mode stays as it is."""

    def quit(self) -> None:
        """Leave the REPL cleanly, as ``:q`` does (safe from any thread)."""

    def run_builtin(self, name: str, args: str) -> bool:
        """Run the UI's own meta-command ``:name args`` (``smelt.cmd.run``); False when there
        is no such command. Errors a person can cause are raised as ValueError-like
        exceptions with a readable message."""

    def remove_keymap(self, mode: str, keys: str) -> None:
        """Undo ``add_keymap``."""

    def add_keymap(self, mode: str, keys: str, action: object, desc: str | None) -> None:
        """Bind ``keys`` in vim mode ``mode`` ("n" or "i") to the callable ``action``."""
