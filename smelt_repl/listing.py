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
    plain_cwds: dict[str, bool] = {}
    for start in range(0, len(records), chunk):
        yield _fast_lines(records[start : start + chunk], plain_cwds)


def _fast_lines(records: Sequence[Sequence], plain_cwds: dict[str, bool]) -> str:
    """The lines of ``format_session_fields`` (each with a newline), without its checks for
    rows that need none: a printable short id and cwd, a printable label without runs of
    spaces that needs no clipping. ``plain_cwds`` remembers the cwds checked (a few, over and
    over); 50k rows are printed in a loop, not a call each."""
    lines: list[str] = []
    add = lines.append
    for record in records:
        session_id, title, subtitle, cwd = record[0], record[1], record[2], record[3]
        label = title or subtitle or "(no message)"
        plain = plain_cwds.get(cwd) if type(cwd) is str else False
        if plain is None:
            plain = plain_cwds[cwd] = bool(cwd) and cwd.isprintable() and cwd[-1] != " "
        short = session_id[:8] if type(session_id) is str else ""
        if (plain and short.isprintable() and short and type(label) is str and len(label) <= LABEL_LIMIT
                and label.isprintable() and "  " not in label and label[0] != " " and label[-1] != " "):
            add(f"{short}  {format_time(record[5])}  {label}  {cwd}\n")
        else:
            add(format_session_fields(session_id, title, subtitle, cwd, record[5]) + "\n")
    return "".join(lines)


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
    """``format_time`` at a fraction of strftime's cost: one look-up of the UTC offset and the
    date serves a whole local day (an hour, on a day whose offset changes), and rows come
    newest first, so consecutive ones mostly fall in the span looked up last."""

    def __init__(self) -> None:
        self.forget()

    def forget(self) -> None:
        """Drop what was looked up (after a change of time zone)."""
        self.span = range(0)  # epoch seconds of one local date and one UTC offset
        self.shift = 0  # epoch seconds + shift = seconds since that date's local midnight
        self.date = ""

    def __call__(self, ms: object) -> str:
        if type(ms) is not int or ms <= 0:
            return NO_TIME
        seconds = ms // 1000
        if seconds not in self.span and not self._look_up(seconds):
            return _strftime(ms)
        return self.date + _HH_MM[(seconds + self.shift) // 60]

    def _look_up(self, seconds: int) -> bool:
        """Learn the date and UTC offset around ``seconds``: for its whole local day if the
        offset holds all day, else for its hour; False if it changes within the hour."""
        try:
            offset = time.localtime(seconds).tm_gmtoff
            midnight = seconds + offset - (seconds + offset) % 86400  # local seconds
            day = range(midnight - offset, midnight - offset + 86400)
            if not _offset_holds(day, offset):
                hour = seconds - seconds % 3600
                day = range(max(hour, day.start), min(hour + 3600, day.stop))  # one local date
                if not _offset_holds(day, offset):
                    return False
            self.date = time.strftime("%Y-%m-%d ", time.gmtime(midnight))
        except (OverflowError, ValueError, OSError):
            return False
        self.span, self.shift = day, offset - midnight
        return True


def _offset_holds(span: range, offset: int) -> bool:
    """Whether the UTC offset is ``offset`` at both ends of ``span`` (epoch seconds)."""
    return time.localtime(span.start).tm_gmtoff == offset == time.localtime(span.stop - 1).tm_gmtoff


_HH_MM = [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(24 * 60)]
format_time = _TimeFormatter()
format_time.__doc__ = "Local time of an epoch-ms timestamp, minutes resolution ('-' when unknown or absurd)."


def _strftime(ms: int) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(ms / 1000))
    except (OverflowError, ValueError, OSError):
        return NO_TIME
