"""Reading sessions written by the original smelt: one ``session.json`` per directory.

The format is described in shared/legacy-session-json.md. Every field but ``id`` may be
missing or null; unknown fields are ignored; a message with an unknown role, or a content
part of an unknown type, is skipped without failing the session.
"""

from __future__ import annotations

import orjson

from smelt_repl.session_core.content import message_text, search_blob

LEGACY_FILE = "session.json"
KNOWN_ROLES = frozenset({"system", "user", "assistant", "tool", "agent"})
KNOWN_PARTS = frozenset({"text", "image_url"})
EXTRA_MESSAGE_FIELDS = (
    "reasoning_content",
    "tool_calls",
    "tool_call_id",
    "is_error",
    "agent_from_id",
    "agent_from_slug",
)


class LegacyFormatError(ValueError):
    """session.json is not a JSON object."""


def parse_legacy(raw: bytes) -> dict:
    """Parse the bytes of a session.json; raise LegacyFormatError (one line) when unusable."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise LegacyFormatError(f"{LEGACY_FILE} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise LegacyFormatError(f"{LEGACY_FILE} is not a JSON object")
    return data


def legacy_messages(data: dict) -> list[dict]:
    """The session's messages as transcript message records (known roles and parts only)."""
    raw = data.get("messages")
    if not isinstance(raw, list):
        return []
    context_at = _snapshots(data.get("token_snapshots"))
    ts = _timestamps(data)[1]
    messages = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or item.get("role") not in KNOWN_ROLES:
            continue
        message = {"type": "message", "role": item["role"], "content": _content(item.get("content")), "ts_ms": ts}
        message.update({k: item[k] for k in EXTRA_MESSAGE_FIELDS if item.get(k) is not None})
        tokens = context_at.get(index + 1)
        if isinstance(tokens, int):
            message["context_tokens"] = tokens
        messages.append(message)
    last_known = data.get("context_tokens")
    if messages and not context_at and isinstance(last_known, int) and not isinstance(last_known, bool):
        messages[-1]["context_tokens"] = last_known
    return messages


def legacy_search_text(data: dict) -> str:
    """content.txt of a legacy session: user, assistant and agent text, joined by newlines."""
    return search_blob(legacy_messages(data))


def legacy_header(data: dict, session_id: str, mtime_ms: int) -> dict:
    """A transcript header record carrying the legacy session's facts."""
    created, updated = _timestamps(data, mtime_ms)
    header = {
        "type": "session",
        "v": 1,
        "id": session_id,
        "created_at_ms": created,
        "updated_at_ms": updated,
        "cwd": _str(data.get("cwd")) or "",
        "parent_id": _str(data.get("parent_id")),
        "model": _str(data.get("model")),
        "legacy": True,
    }
    title = _str(data.get("title")) or _str(data.get("slug"))
    if title:
        header["title"] = title
    return header


def legacy_cost(data: dict) -> float:
    """The accumulated cost the legacy session recorded (0 when unknown)."""
    snapshots = _snapshots(data.get("cost_snapshots"))
    if not snapshots:
        return 0.0
    value = snapshots[max(snapshots)]
    return float(value) if isinstance(value, (int, float)) else 0.0


def legacy_first_user_message(data: dict) -> str | None:
    """The list subtitle: ``first_user_message``, else the first user message's text."""
    first = _str(data.get("first_user_message"))
    if first:
        return first
    for message in legacy_messages(data):
        if message["role"] == "user":
            return message_text(message["content"])
    return None


def _timestamps(data: dict, mtime_ms: int = 0) -> tuple[int, int]:
    created = data.get("created_at_ms")
    updated = data.get("updated_at_ms")
    created = created if type(created) is int and created > 0 else 0
    updated = updated if type(updated) is int and updated > 0 else 0
    created = created or updated or mtime_ms
    updated = updated or created or mtime_ms
    return created, updated


def _content(content: object) -> object:
    if isinstance(content, list):
        return [p for p in content if isinstance(p, dict) and p.get("type") in KNOWN_PARTS]
    if isinstance(content, str):
        return content
    return ""


def _snapshots(raw: object) -> dict[int, object]:
    if not isinstance(raw, list):
        return {}
    return {
        pair[0]: pair[1]
        for pair in raw
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], int)
    }


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
