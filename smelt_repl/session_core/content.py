"""Plain text of messages: labels for turns and the searchable ``content.txt`` blob."""

from __future__ import annotations

from collections.abc import Iterable

# Roles whose text is searchable. ``agent`` only occurs in legacy sessions.
SEARCHABLE_ROLES = frozenset({"user", "assistant", "agent"})


def message_text(content: object) -> str:
    """The text of a message's content: a string, or the text parts of a list joined by newlines."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            part["text"]
            for part in content
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
        ]
        return "\n".join(texts)
    return ""


def searchable_text(message: dict) -> str:
    """The part of ``message`` that goes into content.txt ("" for roles that are excluded)."""
    if message.get("role") not in SEARCHABLE_ROLES:
        return ""
    return message_text(message.get("content"))


def search_blob(messages: Iterable[dict]) -> str:
    """content.txt for ``messages``: searchable texts (non-empty ones) joined by newlines."""
    return "\n".join(text for text in map(searchable_text, messages) if text)


def first_line(text: str, limit: int = 120) -> str:
    """The first non-blank line of ``text``, trimmed to ``limit`` characters."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""
