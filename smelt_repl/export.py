"""A conversation as Markdown (``:export``, ``--export``): a title, the model, cwd and date,
then ``## User`` / ``## Assistant`` sections; attachments named, cancelled, failed and
truncated replies marked. The file is the user's: written where they say, never over an
existing one.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable
from pathlib import Path

from smelt_repl.session_core.content import first_line, message_text

_SLUG_RE = re.compile(r"[^a-z0-9]+")


def conversation_markdown(messages: Iterable[dict], *, title: str | None, model: str | None, cwd: str,
                          created_at_ms: int) -> str:
    """The Markdown text of ``messages`` (user and assistant turns; other roles are left out)."""
    rows = [m for m in messages if m.get("role") in ("user", "assistant")]
    heading = title or first_line(next((message_text(m.get("content")) for m in rows if m.get("role") == "user"),
                                       ""), 80) or "smelt-repl conversation"
    date = time.strftime("%Y-%m-%d %H:%M", time.localtime(created_at_ms / 1000))
    out = [f"# {heading}", "", f"- model: {model or 'unknown'}", f"- cwd: {cwd}", f"- date: {date}", ""]
    for message in rows:
        out += [f"## {'User' if message['role'] == 'user' else 'Assistant'}", ""]
        out += [f"*attached: {name}*" for name in _attachment_names(message)]
        text = message_text(message.get("content"))
        if text:
            out += [text.rstrip("\n"), ""]
        out += [f"*{mark}*" for mark in _marks(message)]
        if out[-1] != "":
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def session_model_name(messages: Iterable[dict]) -> str | None:
    """The model of the last reply, for the header of an export made outside the REPL."""
    for message in reversed(list(messages)):
        if message.get("role") == "assistant" and isinstance(message.get("model"), str):
            return message["model"]
    return None


def default_export_path(cwd: str, title: str | None, now: float | None = None) -> Path:
    """``smelt-<slug>-<yyyymmdd-hhmmss>.md`` in ``cwd``."""
    slug = _SLUG_RE.sub("-", (title or "conversation").lower()).strip("-")[:40] or "conversation"
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return Path(cwd) / f"smelt-{slug}-{stamp}.md"


def write_new_file(path: Path, text: str) -> Path:
    """Write ``text`` to ``path``, or to ``path`` with ``-2``, ``-3``... before its suffix when
    it exists: an export never overwrites. Returns the path written."""
    candidate, n = path, 1
    while True:
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            n += 1
            candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        return candidate


def _attachment_names(message: dict) -> list[str]:
    names = []
    for item in message.get("attachments") or []:
        name = item.get("path") or item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name:
            names.append(name)
    return names


def _marks(message: dict) -> list[str]:
    marks = []
    if message.get("cancelled"):
        marks.append("[cancelled]")
    if message.get("truncated"):
        marks.append("[truncated at the model's output limit]")
    if message.get("error"):
        marks.append(f"[failed: {' '.join(str(message['error']).split())}]")
    return marks
