"""Copying text to the user's clipboard: OSC 52 through the terminal (works in most
terminals, in tmux with ``set-clipboard on`` and over ssh) and the system's own tool when
there is one (wl-copy, xclip, xsel, pbcopy).
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Callable

OSC52_LIMIT = 100_000  # bytes of text; terminals drop longer OSC 52 payloads
TOOL_TIMEOUT_S = 2.0


def osc52(text: str) -> str:
    """The terminal control sequence that puts ``text`` on the clipboard."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"\x1b]52;c;{payload}\x07"


def system_tool() -> list[str] | None:
    """The command line of the system's clipboard tool, if one is installed and usable here."""
    candidates = []
    if os.environ.get("WAYLAND_DISPLAY"):
        candidates.append(["wl-copy"])
    if os.environ.get("DISPLAY"):
        candidates += [["xclip", "-selection", "clipboard"], ["xsel", "--clipboard", "--input"]]
    candidates.append(["pbcopy"])
    return next((argv for argv in candidates if shutil.which(argv[0])), None)


def copy(text: str, send_to_terminal: Callable[[str], None]) -> list[str]:
    """Copy ``text``; returns how (``["OSC 52", "xclip"]``), empty when there was no way."""
    ways = []
    if len(text.encode("utf-8")) <= OSC52_LIMIT:
        send_to_terminal(osc52(text))
        ways.append("OSC 52")
    tool = system_tool()
    if tool is not None:
        try:
            subprocess.run(tool, input=text.encode("utf-8"), timeout=TOOL_TIMEOUT_S, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ways.append(tool[0])
        except (OSError, subprocess.SubprocessError):
            pass
    return ways
