"""Keeping secrets out of error text: an error line is shown and stored in the transcript.

A server may echo the request's credentials in an error body (a proxy's 401 page quoting the
`Authorization` header, say), so every `ProviderError` cause loses what looks like a bearer
token or an API key, and the providers also strike out the configured key's own value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "[redacted]"
_MIN_SECRET = 4  # shorter "keys" are placeholders; striking them would garble the text
_PATTERNS = (
    # "Bearer <token>" (any case), "x-api-key: <key>" / "api_key=<key>" as servers echo them
    (re.compile(r"(?i)\b(bearer)\s+[^\s\"',;]+"), r"\1 " + MASK),
    (re.compile(r"(?i)\b(x-api-key|api[_-]?key|authorization)(\"?\s*[:=]\s*\"?)(?!bearer\s)[^\s\"',;]+"),
     r"\1\2" + MASK),
    # Well-known key shapes: OpenAI / Anthropic "sk-...", Google "AIza..."
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"), "sk-" + MASK),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"), MASK),
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with each of `secrets` (the configured key values) and anything shaped like a
    bearer token or API key replaced by "[redacted]"."""
    for secret in secrets:
        if secret and len(secret.strip()) >= _MIN_SECRET:
            text = text.replace(secret.strip(), MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
