"""The keymaps Lua sets (``smelt.keymap.set``): bound on the shell's user key bindings, one
per (mode, keys), a new one replacing the old; listed for ``:help``."""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.filters import Filter
from prompt_toolkit.key_binding import KeyBindings

from smelt_repl.keybindings import bind_user_keys
from smelt_repl.keynotation import check_keymap_mode, parse_keys


class UserKeymaps:
    """Lua keymaps by (mode, parsed keys)."""

    def __init__(self, key_bindings: KeyBindings, input_focused: Filter, leader: Callable[[], str]) -> None:
        self._kb = key_bindings
        self._input_focused = input_focused
        self._leader = leader
        self._handlers: dict[tuple[str, tuple[str, ...]], Callable] = {}
        self._described: dict[tuple[str, tuple[str, ...]], tuple[str, str]] = {}

    def add(self, mode: str, parsed: tuple[str, ...], written: str, action: Callable[[], None],
            desc: str | None) -> None:
        """Bind ``parsed`` keys (``written`` as the script wrote them) in ``mode``."""
        old = self._handlers.pop((mode, parsed), None)
        if old is not None:
            self._kb.remove(old)
        self._handlers[(mode, parsed)] = bind_user_keys(self._kb, mode, parsed, action, self._input_focused)
        self._described[(mode, parsed)] = (written, desc or "")

    def parse(self, mode: str, keys: str) -> tuple[str, tuple[str, ...]]:
        """The checked mode and the parsed keys of vim-notation ``keys`` (``<leader>`` as the
        leader setting is now); KeyNotationError when either is wrong."""
        return check_keymap_mode(mode), parse_keys(keys, self._leader())

    def remove(self, mode: str, parsed: tuple[str, ...]) -> None:
        """Unbind ``parsed`` keys in ``mode`` (no-op when unbound)."""
        handler = self._handlers.pop((mode, parsed), None)
        if handler is not None:
            self._kb.remove(handler)
        self._described.pop((mode, parsed), None)

    def listing(self) -> list[tuple[str, str, str]]:
        """``(mode, keys, description)`` of every keymap, in the order they were set."""
        return [(mode, keys, desc) for (mode, _), (keys, desc) in self._described.items()]
