"""Formatting session rows for ``--list`` and the ``:sessions`` picker.

Titles, first messages and cwds come from session files anyone could have written: control
characters in them are shown escaped (``\\x1b``), so a row can neither retitle the terminal
nor forge other rows.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterator, Sequence

from smelt_repl.session_core.content import clip

LABEL_LIMIT = 60
NO_TIME = "-               "  # as wide as a formatted time
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNSHOWN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})  # controls, lone surrogates, line breaks
# Bidirectional overrides and isolates reorder what follows them on screen.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def session_lines(records: Sequence[Sequence], *, as_json: bool = False, chunk: int = 2048) -> Iterator[str]:
    """``--list`` output of store records (``SessionStore.list_records``), in chunks of
    ``chunk`` lines: formatted rows, or with ``as_json`` one JSON object per row."""
    if as_json:
        import orjson

        from smelt_repl.session_core.derived import ROW_FIELDS

        fields = ROW_FIELDS
        for start in range(0, len(records), chunk):
            yield "".join([orjson.dumps(dict(zip(fields, record, strict=False))).decode() + "\n"
                           for record in records[start : start + chunk]])
        return
    for start in range(0, len(records), chunk):
        yield "".join([_fast_line(r[0], r[1], r[2], r[3], r[5]) for r in records[start : start + chunk]])


def _fast_line(session_id: object, title: object, subtitle: object, cwd: object, updated_at_ms: object) -> str:
    """``format_session_fields`` plus a newline, without its checks for rows that need none:
    text fields that are printable, a label without runs of spaces that needs no clipping."""
    label = title or subtitle or "(no message)"
    if (type(label) is str and label.isprintable() and len(label) <= LABEL_LIMIT and "  " not in label
            and label[0] != " " and label[-1] != " " and type(session_id) is str and session_id.isprintable()
            and type(cwd) is str and cwd.isprintable() and cwd and cwd[-1] != " "):
        return f"{session_id[:8]}  {format_time(updated_at_ms)}  {label}  {cwd}\n"
    return format_session_fields(session_id, title, subtitle, cwd, updated_at_ms) + "\n"


def format_session_row(row: dict, prefix: str = "") -> str:
    """``abcd1234  2026-11-25 13:09  title  ~/project`` (``prefix``, a fork's tree gutter,
    goes before the title)."""
    get = row.get
    return format_session_fields(get("id"), get("title"), get("subtitle"), get("cwd"), get("updated_at_ms"), prefix)


def format_session_fields(session_id: object, title: object, subtitle: object, cwd: object, updated_at_ms: object,
                          prefix: str = "") -> str:
    """``format_session_row`` of a row's fields (the fast path for printing 50k records)."""
    label = title or subtitle or "(no message)"
    if type(label) is not str or not label.isprintable() or "  " in label or label[0] == " " or label[-1] == " ":
        label = " ".join(str(label).split())  # a title may span lines: join them
    if len(label) > LABEL_LIMIT:
        label = clip(label, LABEL_LIMIT)
    short_id = escape_controls(session_id[:8] if type(session_id) is str else str(session_id)[:8])
    cwd = escape_controls(cwd if type(cwd) is str else str(cwd or ""))
    return f"{short_id}  {format_time(updated_at_ms)}  {prefix}{escape_controls(label)}  {cwd}".rstrip()


def escape_controls(text: str) -> str:
    """``text`` with control characters (C0, DEL, C1), line and paragraph separators, bidi
    overrides and lone surrogates shown as escapes (``\\n``, ``\\x1b``, ``\\u202e``)."""
    if text.isprintable():
        return text
    return "".join(_escape_char(ch) for ch in text)


def _escape_char(ch: str) -> str:
    if ch not in _BIDI_CONTROLS and unicodedata.category(ch) not in _UNSHOWN_CATEGORIES:
        return ch
    if ch in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


class _TimeFormatter:
    """``format_time`` at a fraction of strftime's cost: the UTC offset is looked up once per
    hour and the date once per day, and rows come newest first, so consecutive ones mostly
    fall in the hour and day looked up last."""

    def __init__(self) -> None:
        self.hour = range(0)  # epoch seconds of the hour whose UTC offset is known
        self.offset = 0
        self.day = range(0)  # local seconds of the day whose date is known
        self.date = ""

    def __call__(self, ms: object) -> str:
        if type(ms) is not int or ms <= 0:
            return NO_TIME
        seconds = ms // 1000
        if seconds not in self.hour and not self._look_up_hour(seconds):
            return _strftime(ms)
        local = seconds + self.offset
        if local not in self.day and not self._look_up_day(local):
            return _strftime(ms)
        return self.date + _HH_MM[(local - self.day.start) // 60]

    def _look_up_hour(self, seconds: int) -> bool:
        """Learn the UTC offset of ``seconds``' hour; False if it changes within the hour."""
        start = seconds - seconds % 3600
        try:
            first, last = time.localtime(start), time.localtime(start + 3599)
        except (OverflowError, ValueError, OSError):
            return False
        if first.tm_gmtoff != last.tm_gmtoff:
            return False
        self.hour, self.offset = range(start, start + 3600), first.tm_gmtoff
        return True

    def _look_up_day(self, local: int) -> bool:
        start = local - local % 86400
        try:
            self.date = time.strftime("%Y-%m-%d ", time.gmtime(start))
        except (OverflowError, ValueError, OSError):
            return False
        self.day = range(start, start + 86400)
        return True


_HH_MM = [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(24 * 60)]
format_time = _TimeFormatter()
format_time.__doc__ = "Local time of an epoch-ms timestamp, minutes resolution ('-' when unknown or absurd)."


def _strftime(ms: int) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(ms / 1000))
    except (OverflowError, ValueError, OSError):
        return NO_TIME
