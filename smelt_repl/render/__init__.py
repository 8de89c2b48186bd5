"""Reply rendering: markdown to ANSI-styled terminal lines, whole or streamed.

Each source line renders to one or more complete output lines, word-wrapped to ``width``
(0 turns wrapping off) with list text hanging under its marker and quote bars repeated; code
is never wrapped. Inline markup does not span source lines.

With ``color=False`` the layout is the same without escape codes: headings keep their ``#``
marks and inline code its backticks, since neither bold nor colour can show them.

Importing this package is cheap: the renderer (and markdown-it-py and pygments under it)
loads on first use, so the first prompt, which only needs ``ansi`` for widths, does not
wait for it.
"""

from typing import Any

from .ansi import strip_ansi

__all__ = ["StreamRenderer", "render_markdown", "strip_ansi"]


def __getattr__(name: str) -> Any:
    if name in ("StreamRenderer", "render_markdown"):
        from . import stream

        return getattr(stream, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
