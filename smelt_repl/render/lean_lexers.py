"""Cheaper pygments lexers to build: identifier classes compiled as ``\\w`` instead of the
Unicode tables spelled out.

pygments' Python lexer (and numpy's, mojo's, wgsl's) writes an identifier as
``[<xid_start>][<xid_continue>]*`` with both classes listed in full (3,400 characters):
compiling its two name rules is 25 of the ~45 ms the lexer takes to build, paid by the first
code block a session shows. Here they compile as ``[^\\W\\d]\\w*``, Python's own reading of
a word that does not start with a digit. Both agree on every ASCII identifier and on
letters of any script; they differ only on rare code points (combining marks inside a name,
a few symbols that Python allows in identifiers), which then show in another colour.

``install`` wraps ``RegexLexerMeta._process_regex``, the hook pygments gives for rewriting
a rule's regex as a lexer class is first built; a lexer built before it is unaffected.
"""

from __future__ import annotations

from typing import Any

from .failures import report_failure

_installed = False


def install() -> None:
    """Make lexer classes built from now on compile identifier classes the lean way (once;
    a pygments without the hook builds them its own way, the failure logged)."""
    global _installed
    if _installed:
        return
    _installed = True
    try:
        _wrap_process_regex()
    except Exception as exc:  # a pygments changed inside: its own (slower) build is as good
        report_failure("making lexers lean", exc)


def _wrap_process_regex() -> None:
    from pygments import unistring
    from pygments.lexer import Future, RegexLexerMeta

    lean = {f"[{unistring.xid_start}]": r"[^\W\d]", f"[{unistring.xid_continue}]": r"\w"}
    process_regex = RegexLexerMeta._process_regex

    def lean_process_regex(cls: Any, regex: Any, rflags: int, state: str) -> Any:
        if isinstance(regex, str):
            regex = lean_regex(regex, lean)
        elif isinstance(regex, Future):  # a words() list: compiled as pygments would
            regex = regex.get()
        return process_regex(cls, regex, rflags, state)

    RegexLexerMeta._process_regex = lean_process_regex


def lean_regex(regex: str, lean: dict[str, str]) -> str:
    """``regex`` with each spelled-out class of ``lean`` replaced by its short form."""
    for spelled, short in lean.items():
        regex = regex.replace(spelled, short)
    return regex
