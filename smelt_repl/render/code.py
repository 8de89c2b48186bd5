"""Syntax highlighting of fenced code, one line at a time, with pygments loaded on first use.

A line can only be lexed correctly with the lexer state left by the lines before it (a
docstring opened three lines up). Re-lexing the whole block for every line is quadratic, so
the highlighter lexes from an *anchor*: the most recent line whose tokens are the same when
lexed first (with only the next line after it) as in context, i.e. a line that starts in the
lexer's root state. In ordinary code the anchor trails by one line, and each line is lexed
twice: once with the line before it (which tests that line as the anchor) and once as the
first of the next pair. Inside a long string or comment the window grows until it ends.
While the window lexes with an error token (a quote whose closing line hasn't arrived) the
anchor holds, so the closing line is lexed together with its opener.
"""

from __future__ import annotations

import io
from typing import Any

from .failures import report_failure

CODE_STYLE = "monokai"
# A window this long (a huge string literal) is cut back so work per line stays bounded.
_MAX_WINDOW = 64
_KEEP_WINDOW = 32

_lexers: dict[str, Any] = {}
_codes: dict[Any, tuple[str, str]] = {}
_formatter: Any = None

Token = tuple[Any, str]


def language_of(info: str) -> str:
    """The language named by a fence info string: ``python title=x`` or ``{.python}``."""
    words = info.strip().split()
    return words[0].strip("{}.").lower() if words else ""


class CodeHighlighter:
    """Highlights the lines of one fenced block as they complete."""

    def __init__(self, language: str) -> None:
        self._lexer = _lexer_for(language)
        self._window: list[str] = []
        self._last: list[Token] | None = None  # the last line's tokens in context, if it may be an anchor

    def line(self, code: str) -> str:
        """ANSI text of the next code line (the code itself if it can't be highlighted)."""
        if self._lexer is None:
            return code
        try:
            return self._highlight(code)
        except Exception as exc:  # a lexer bug: the rest of the block stays plain
            report_failure("code highlighting", exc)
            self._lexer = None
            return code

    def _highlight(self, code: str) -> str:
        window = self._window
        window.append(code)
        tokens = None
        if self._last is not None:  # is the last line an anchor? Lexed first, before this one
            pair, clean = _lex_rows(self._lexer, window[-2:], 0)
            if pair is not None and _visible(pair[0]) == _visible(self._last):
                del window[:-2]
                tokens = pair[1]
        if tokens is None:
            rows, clean = _lex_rows(self._lexer, window, len(window) - 1)
            if rows is None:
                self._window, self._last = [], None
                return code
            tokens = rows[0]
        self._last = tokens if len(window) > 1 and clean and _visible(tokens) else None
        if len(window) > _MAX_WINDOW:
            del window[:-_KEEP_WINDOW]
        return _paint(tokens)


def _lexer_for(language: str) -> Any:
    if language in _lexers:
        return _lexers[language]
    lexer = None
    if language:
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound

        from .lean_lexers import install

        install()
        try:
            lexer = get_lexer_by_name(language, stripnl=False, ensurenl=True)
        except ClassNotFound:  # a language pygments doesn't know: no highlighting
            lexer = None
        except Exception as exc:  # a lexer that fails to build: no highlighting either
            report_failure(f"loading the {language!r} lexer", exc)
            lexer = None
    _lexers[language] = lexer
    return lexer


def _lex_rows(lexer: Any, lines: list[str], first: int) -> tuple[list[list[Token]] | None, bool]:
    """The tokens of each of `lines` from index `first` on when all are lexed together (None
    if they don't add up to the lines), and whether the lexer met no error token on the way."""
    from pygments.token import Error

    last = len(lines) - 1
    row = 0
    clean = True
    rows: list[list[Token]] = [[] for _ in range(first, last + 1)]
    for ttype, value in lexer.get_tokens("\n".join(lines) + "\n"):
        if ttype in Error:
            clean = False
        for index, part in enumerate(value.split("\n")):
            if index:
                row += 1
            if first <= row <= last and part:
                rows[row - first].append((ttype, part))
        if row > last:
            break
    for tokens, line in zip(rows, lines[first:], strict=True):
        if "".join(value for _, value in tokens) != line:
            return None, clean
    return rows, clean


def _visible(tokens: list[Token]) -> list[Token]:
    """The tokens that are not whitespace (whose types vary with what precedes them); a line
    with nothing else (a blank line inside a docstring) proves nothing and is no anchor."""
    return [token for token in tokens if not token[1].isspace()]


def _paint(tokens: list[Token]) -> str:
    """ANSI text of one line's tokens; neighbours of the same colour share one escape."""
    out: list[str] = []
    last: tuple[str, str] = ("", "")
    for ttype, value in tokens:
        codes = _codes_for(ttype)
        if codes != last:
            out.append(last[1] + codes[0])
            last = codes
        out.append(value)
    out.append(last[1])
    return "".join(out)


def _codes_for(ttype: Any) -> tuple[str, str]:
    """(on, off) escape codes for a token type; plain text keeps the terminal's own colour."""
    codes = _codes.get(ttype)
    if codes is None:
        codes = _codes[ttype] = _format_codes(ttype)
    return codes


def _format_codes(ttype: Any) -> tuple[str, str]:
    global _formatter
    if _formatter is None:
        from pygments.formatters import Terminal256Formatter

        _formatter = Terminal256Formatter(style=CODE_STYLE)
    from pygments.token import Error, Text

    if ttype in Error:  # mostly a string or comment whose end hasn't streamed in yet
        return "", ""

    def probe(kind: Any) -> tuple[str, str]:
        buffer = io.StringIO()
        _formatter.format([(kind, "\x00")], buffer)
        on, _, off = buffer.getvalue().partition("\x00")
        return on, off

    codes = probe(ttype)
    return ("", "") if codes == probe(Text) else codes
