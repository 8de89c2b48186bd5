"""Plain text of messages: labels for turns and the searchable ``content.txt`` blob."""

from __future__ import annotations

from collections.abc import Iterable

# Roles whose text is searchable. ``agent`` only occurs in legacy sessions.
SEARCHABLE_ROLES = frozenset({"user", "assistant", "agent"})
SUBTITLE_LIMIT = 200


TEXT_PART_TYPES = ("text", "input_text")


def message_text(content: object) -> str:
    """The text of a message's content: a string, or the text parts of a list (plain strings
    and ``text`` / ``input_text`` parts) joined by newlines; images and the like add nothing."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part if isinstance(part, str) else part["text"] for part in content if _is_text(part))
    return ""


def _is_text(part: object) -> bool:
    return isinstance(part, str) or (
        isinstance(part, dict) and part.get("type") in TEXT_PART_TYPES and isinstance(part.get("text"), str))


def searchable_text(message: dict) -> str:
    """The part of ``message`` that goes into content.txt ("" for roles that are excluded)."""
    if message.get("role") not in SEARCHABLE_ROLES:
        return ""
    text = message_text(message.get("content"))
    names = [a.get("path") for a in message.get("attachments") or [] if isinstance(a, dict) and a.get("path")]
    return "\n".join([text, *(f"[attached: {name}]" for name in names)]) if names else text


def search_blob(messages: Iterable[dict]) -> str:
    """content.txt for ``messages``: searchable texts (non-empty ones) joined by newlines."""
    return "\n".join(text for text in map(searchable_text, messages) if text)


def first_line(text: str, limit: int = 120) -> str:
    """The first non-blank line of ``text``, stripped and clipped to ``limit`` characters."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return clip(line, limit)
    return ""


def subtitle_of(first_user_message: str | None) -> str | None:
    """A session's list subtitle: the first line of its first user message; None if blank."""
    return first_line(first_user_message or "", SUBTITLE_LIMIT) or None


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last of them an ellipsis when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
