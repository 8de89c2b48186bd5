"""Keys typed while the REPL starts.

Until prompt_toolkit puts the terminal in raw mode, the terminal is in its own (cooked) mode:
it echoes each key as it comes (the keys show above the first prompt) and turns Enter (CR)
into LF, which the prompt reads as Ctrl-J, a newline in the message rather than a send. The
terminal does this as input arrives, not as it is read, so the fix must come before the
keys: ``hold`` (called first thing in interactive mode) turns off echo, line editing and the
CR-to-LF translation (Ctrl-C still interrupts), and ``release`` gives the terminal its own
settings back just before prompt_toolkit takes it over, so prompt_toolkit saves and later
restores those. What was typed meanwhile stays in the input queue as it was typed.
"""

from __future__ import annotations

import atexit
import termios

_held: tuple[int, list] | None = None  # the terminal's fd and its own settings, while held


def hold(fd: int) -> None:
    """Stop the terminal on ``fd`` from echoing or rewriting keys typed before the prompt is
    up (no-op when it is not a terminal)."""
    global _held
    try:
        own = termios.tcgetattr(fd)
    except (termios.error, OSError):
        return
    held = [*own[:6], list(own[6])]
    held[0] &= ~termios.ICRNL
    held[3] &= ~(termios.ECHO | termios.ICANON | termios.IEXTEN)
    held[6][termios.VMIN], held[6][termios.VTIME] = 1, 0
    try:
        termios.tcsetattr(fd, termios.TCSANOW, held)
    except (termios.error, OSError):
        return
    _held = (fd, own)
    atexit.register(release)


def release() -> None:
    """Give the terminal its own settings back (no-op when not held)."""
    global _held
    if _held is None:
        return
    (fd, own), _held = _held, None
    try:
        termios.tcsetattr(fd, termios.TCSANOW, own)
    except (termios.error, OSError):
        pass
