"""Erasing the prompt without leaving copies of it in the terminal's history.

prompt_toolkit erases its rows (before output is printed above the prompt, on a resize, at
exit) with "erase below" from the first row it drew. When that row is the terminal's top row,
the erase clears the whole screen, and tmux (``scroll-on-clear``, on by default) first moves
the screen into its history: every such erase leaves a stale copy of the prompt there. That
happens when the REPL starts on a cleared screen, or when the prompt fills the screen.
Erasing the first row on its own and the rest from the row below it looks the same and is
never a whole-screen clear.
"""

from __future__ import annotations

from prompt_toolkit.output import Output
from prompt_toolkit.output.vt100 import Vt100_Output

# Erase this row, save the cursor, go down a row (not past the last), erase below, restore.
ERASE_BELOW = "\x1b[K\x1b7\x1b[B\x1b[J\x1b8"


def keep_erases_out_of_history(output: Output) -> None:
    """Make ``output`` erase below the cursor as described above (VT100 terminals only).

    prompt_toolkit calls ``erase_down`` only at the start of a row, which this relies on.
    """
    if isinstance(output, Vt100_Output) and "erase_down" not in vars(output):
        output.erase_down = lambda: output.write_raw(ERASE_BELOW)  # type: ignore[method-assign]
