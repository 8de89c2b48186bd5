"""How chat items look in the scrollback: echoed user messages, replies, markers, errors.

Every function returns finished text (ANSI-styled when ``color``), ending in a newline, so
the live path (streaming) and the replay path (load, rewind) print identical screens.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from smelt_repl.render.ansi import cell_width, sanitize

if TYPE_CHECKING:
    from prompt_toolkit.output import Output

    from smelt_repl.session_core import SessionStore

USER_MARK = "›"
CANCELLED_MARK = "[cancelled]"
_RESET = "\x1b[0m"


def wants_color(output: Output) -> bool:
    """Colour on a terminal, unless ``NO_COLOR`` is set or ``TERM`` is dumb."""
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return output.fileno() is not None and os.isatty(output.fileno()) and os.environ.get("TERM") != "dumb"
    except Exception:
        return False


def _style(code: str, text: str, color: bool) -> str:
    return f"\x1b[{code}m{text}{_RESET}" if color else text


def user_echo(text: str, color: bool, attachments: list[dict] | None = None) -> str:
    """The user's message as sent: ``› first line`` then indented continuation lines, then a
    dim ``attached: path`` line for each attachment."""
    lines = sanitize_lines(text)
    mark = _style("1;36", USER_MARK, color)
    first, *rest = lines or [""]
    out = [f"{mark} {_style('1', first, color) if first else ''}"]
    out += [f"  {_style('1', line, color) if line else ''}" for line in rest]
    echo = "\n".join(out) + "\n"
    for ref in attachments or []:
        echo += dim_line(f"  attached: {ref.get('path', '?')} ({ref.get('bytes', 0):,} bytes)", color)
    return echo


def sanitize_lines(text: str) -> list[str]:
    """Split text into lines with control characters made harmless."""
    return [sanitize(line.rstrip("\r")) for line in text.split("\n")]


def error_line(text: str, color: bool) -> str:
    """One red line (newlines in ``text`` are folded into spaces)."""
    return _style("31", sanitize(" ".join(text.split())), color) + "\n"


def dim_line(text: str, color: bool) -> str:
    """One dim line, e.g. the ``[cancelled]`` marker."""
    return _style("2", sanitize(text), color) + "\n"


def plain(text: str) -> str:
    """Plain text (Lua output, notices), control characters made harmless, newline-ended."""
    body = "\n".join(sanitize_lines(text))
    return body if body.endswith("\n") else body + "\n"


def separator(width: int, color: bool, label: str = "") -> str:
    """A dim rule across the screen, with an optional label: ``── session ab12cd34 ───``."""
    head = f"── {label} " if label else ""
    return dim_line(head + "─" * max(0, min(width, 100) - cell_width(head)), color)


FIRST_RUN_HINT = "New here? :help lists the commands; :model (or --model NAME at start) picks a model."


def first_run_hint(store: SessionStore, color: bool) -> str:
    """The dim line shown above the first prompt while ``store`` has no sessions yet ("" once
    it has, or when it can't be read): where help is and how to pick a model."""
    try:
        if store.list():
            return ""
    except Exception:  # an unreadable store says enough on its own
        return ""
    return dim_line(FIRST_RUN_HINT, color)


TRUNCATED_MARK = "[truncated: the model hit its output limit · :more asks it to go on]"


def thinking_line(reasoning: str) -> str:
    """The folded "thinking" block shown after a reply that came with reasoning."""
    words = len(reasoning.split())
    return f"▸ thinking: {words:,} words (:thinking shows them)"


def reply_trailer(record: dict, color: bool) -> str:
    """What follows a reply: the cancelled or truncated marker and/or its error line, then a
    blank line."""
    out = dim_line(thinking_line(record["reasoning_content"]), color) if record.get("reasoning_content") else ""
    out += dim_line(CANCELLED_MARK, color) if record.get("cancelled") else ""
    if record.get("truncated"):
        out += dim_line(TRUNCATED_MARK, color)
    if record.get("error"):
        out += error_line(str(record["error"]), color)
    return out + "\n"


def replay(messages: list[dict], width: int, color: bool) -> str:
    """The whole conversation as the live path would have printed it."""
    from smelt_repl.render import render_markdown
    from smelt_repl.session_core.content import first_line, message_text

    out: list[str] = []
    for record in messages:
        role = record.get("role")
        text = message_text(record.get("content"))
        if role == "user":
            out.append(user_echo(text, color, record.get("attachments")))
        elif role == "assistant":
            out.append(render_markdown(text, width, color) + reply_trailer(record, color))
        elif role != "system":
            out.append(dim_line(f"[{role}] {first_line(text, 100)}", color))
    return "".join(out)
