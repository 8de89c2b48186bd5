"""Reply rendering: markdown to ANSI-styled terminal lines, whole or streamed.

Each source line renders to one or more complete output lines, word-wrapped to ``width``
(0 turns wrapping off) with list text hanging under its marker and quote bars repeated; code
is never wrapped. Inline markup does not span source lines.

With ``color=False`` the layout is the same without escape codes: headings keep their ``#``
marks and inline code its backticks, since neither bold nor colour can show them.

Importing this package is cheap; markdown-it-py and pygments load on the first reply.
"""

from .ansi import strip_ansi
from .stream import StreamRenderer, render_markdown

__all__ = ["StreamRenderer", "render_markdown", "strip_ansi"]
