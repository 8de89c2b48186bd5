"""Vim key notation (``"gr"``, ``"<C-r>"``, ``"<leader>x"``) to prompt_toolkit key names.

Supported: plain characters (one key each), ``<C-x>`` (control), ``<M-x>``/``<A-x>``
(meta = Escape then the key), ``<S-Tab>``, named keys (``<Esc> <CR> <Enter> <Return> <Tab>
<Space> <BS> <Del> <Up> <Down> <Left> <Right> <Home> <End> <PageUp> <PageDown> <Insert>
<F1>``…``<F12>`` ``<lt> <Bar> <Bslash>``) and ``<leader>`` (the ``leader`` argument).
Names inside ``<>`` are case-insensitive, as in Vim.

Also the modes a keymap may name (``KEYMAP_MODES``) and their check, shared by
``smelt.keymap.set`` and the key bindings.
"""

from __future__ import annotations

import re

from smelt_repl.settings import DEFAULT_SETTINGS

_NAMED = {
    "esc": "escape", "escape": "escape",
    "cr": "enter", "enter": "enter", "return": "enter",
    "nl": "c-j",
    "tab": "tab", "s-tab": "s-tab",
    "space": " ", "lt": "<", "bar": "|", "bslash": "\\",
    "bs": "backspace", "backspace": "backspace",
    "del": "delete", "delete": "delete", "insert": "insert",
    "up": "up", "down": "down", "left": "left", "right": "right",
    "home": "home", "end": "end", "pageup": "pageup", "pagedown": "pagedown",
    **{f"f{n}": f"f{n}" for n in range(1, 13)},
}
_TOKEN = re.compile(r"<([^<>\s]+)>|(.)", re.DOTALL)


# Keymap modes, as in Vim's :nmap / :imap / :vmap / :map (emacs editing counts as insert
# mode); smelt's long names are accepted too.
KEYMAP_MODES: dict[str, str] = {"n": "normal", "i": "insert", "v": "visual", "": "every mode"}
MODE_NAMES: dict[str, str] = {"normal": "n", "insert": "i", "visual": "v"}


class KeyNotationError(ValueError):
    """The key string (or a keymap's mode) cannot be understood."""


def check_keymap_mode(mode: str) -> str:
    """The short name (a key of ``KEYMAP_MODES``) of ``mode`` ("n", "normal", ...), else
    KeyNotationError saying which there are."""
    mode = MODE_NAMES.get(mode, mode)
    if mode not in KEYMAP_MODES:
        allowed = ", ".join(f'"{m}" ({name})' for m, name in KEYMAP_MODES.items())
        raise KeyNotationError(f"mode must be one of {allowed} or a long name (normal, insert, visual), got {mode!r}")
    return mode


def parse_keys(notation: str, leader: str = DEFAULT_SETTINGS["leader"]) -> tuple[str, ...]:
    """The prompt_toolkit key sequence for ``notation``; raises KeyNotationError."""
    if not notation:
        raise KeyNotationError("empty key sequence")
    keys: list[str] = []
    for match in _TOKEN.finditer(notation):
        name, char = match.groups()
        if char is not None:
            keys.append(char)
        elif name.lower() == "leader":
            keys.extend(parse_keys(leader))
        else:
            keys.extend(_bracketed(name, notation))
    return tuple(keys)


def _bracketed(name: str, notation: str) -> list[str]:
    lower = name.lower()
    if lower in _NAMED:
        return [_NAMED[lower]]
    modifier, _, rest = lower.partition("-")
    if not rest or modifier not in ("c", "m", "a"):
        raise KeyNotationError(f"unknown key <{name}> in {notation!r}")
    base = name[2:]  # the key after "C-": keep its case for meta keys
    if modifier == "c":
        return [_control(base.lower(), notation)]
    inner = _NAMED.get(base.lower(), base if len(base) == 1 else None)
    if inner is None:
        raise KeyNotationError(f"unknown key <{name}> in {notation!r}")
    return ["escape", inner]


def _control(base: str, notation: str) -> str:
    if len(base) == 1 and (base.isalpha() or base in "@\\]^_"):
        return f"c-{base}"
    if base in ("space",):
        return "c-@"
    if base in ("left", "right", "up", "down", "home", "end", "delete"):
        return f"c-{base}"
    raise KeyNotationError(f"unknown key <C-{base}> in {notation!r}")
