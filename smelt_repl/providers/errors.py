"""Turning what went wrong on the wire into one `ProviderError` line a person can act on."""

from __future__ import annotations

import json
from typing import Any

from smelt_repl.session_core.content import clip

from .base import ProviderError
from .spec import ProviderSpec

_MESSAGE_LIMIT = 200
_REASONS = {
    400: "bad request", 401: "unauthorized", 403: "forbidden", 404: "not found",
    408: "request timeout", 413: "request too large", 422: "unprocessable request",
    429: "rate limited", 529: "overloaded",
}
# In-stream error kinds (OpenAI `type`/`code`, Anthropic `error.type`) a retry cannot fix.
_CLIENT_ERRORS = {
    "invalid_request_error", "authentication_error", "permission_error", "permission_denied",
    "not_found_error", "invalid_api_key", "context_length_exceeded", "model_not_found",
    "billing_error", "insufficient_quota", "request_too_large",
}


def status_error(spec: ProviderSpec, status: int, headers: Any, body: bytes, model: str) -> ProviderError:
    """The error for an HTTP status >= 300: the status, a hint, and the server's own message."""
    reason = _REASONS.get(status, "server error" if status >= 500 else "unexpected status")
    cause = f"HTTP {status} {reason}"
    if status in (401, 403):
        cause += f": check {spec.api_key_env}" if spec.api_key_env else (
            ": the server wants an API key; name its variable with api_key_env")
    elif status == 404 and model:
        cause += f": check the model name '{model}' and api_base {spec.api_base}"
    message = error_message(body)
    if message:
        cause += f" (server: {message})"
    retryable = status == 429 or status >= 500
    return ProviderError(spec.name, cause, retryable=retryable, retry_after=retry_after(headers))


def stream_error(provider: str, data: dict, prefix: str = "") -> ProviderError:
    """The error for an error object inside a 200 response (an SSE event or a JSON body).

    Retryable (like HTTP 429/5xx) unless its type or code names a client-side mistake;
    `with_retries` retries it only while no text has been shown.
    """
    error = data.get("error")
    kinds = [error.get("type"), error.get("code")] if isinstance(error, dict) else []
    kind = next((str(k) for k in kinds if isinstance(k, str) and k), "")
    message = error_message(data) or "no details"
    codes = [_as_status(k) for k in kinds]
    client = any(str(k) in _CLIENT_ERRORS for k in kinds if k) or any(
        c is not None and 400 <= c < 500 and c not in (408, 429) for c in codes)
    named = kind and kind not in message and kind not in ("error", "server_error")
    cause = f"{prefix}{kind}: {message}" if named else f"{prefix}{message}"
    return ProviderError(provider, cause, retryable=not client)


def network_error(spec: ProviderSpec, exc: Exception, receiving: bool) -> ProviderError:
    """The error for an httpx exception; `receiving` says the response body had begun."""
    import httpx

    base, name, timeout = spec.api_base, spec.name, spec.timeout_s
    if isinstance(exc, httpx.ConnectTimeout):
        return ProviderError(name, f"timed out connecting to {base} after {timeout:g} s")
    if isinstance(exc, httpx.ReadTimeout):
        return ProviderError(name, f"no data from {base} for {timeout:g} s (read timeout)")
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(name, f"timed out talking to {base} after {timeout:g} s")
    if isinstance(exc, httpx.ConnectError):
        if "refused" in str(exc).lower():
            return ProviderError(name, f"connection refused ({base})")
        return ProviderError(name, f"cannot connect to {base}: {exc}")
    if receiving and isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return ProviderError(name, "stream cut mid-reply")
    if isinstance(exc, httpx.RemoteProtocolError):
        return ProviderError(name, f"connection closed by {base} before a response")
    return ProviderError(name, f"network error talking to {base}: {exc}")


def error_message(body: bytes | str | dict) -> str:
    """The human message of an error body, on one line and shortened; "" when it has none.

    Knows `{"error": {"message"}}` (OpenAI, Anthropic), `{"error": "text"}`, FastAPI's
    `{"detail": "text" | [{"loc", "msg"}, ...]}`, `{"message": "text"}`, and plain text
    (an HTML page says nothing useful on one line and is skipped).
    """
    data: Any = body
    if isinstance(body, (bytes, str)):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            data = json.loads(text)
        except ValueError:
            data = text.strip()
            if data.startswith("<"):
                return ""
    text = _message_of(data) if isinstance(data, dict) else str(data)
    return clip(" ".join(text.split()), _MESSAGE_LIMIT)


def _message_of(data: dict) -> str:
    error = data.get("error")
    if isinstance(error, dict):
        return _message_of(error) or str(error.get("type") or error.get("code") or "")
    if isinstance(error, str) and error:
        return error
    detail = data.get("detail")
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list) and detail:
        return "; ".join(_detail_item(item) for item in detail[:3])
    message = data.get("message") or data.get("msg")
    return message if isinstance(message, str) else ""


def _detail_item(item: object) -> str:
    """One entry of FastAPI's validation `detail` list: "body.model: field required"."""
    if not isinstance(item, dict):
        return str(item)
    where = ".".join(str(part) for part in item.get("loc") or [])
    message = str(item.get("msg") or item.get("message") or item.get("type") or "")
    return f"{where}: {message}" if where else message


def _as_status(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def retry_after(headers: Any) -> float | None:
    """The server's Retry-After in seconds (a number or an HTTP date), or None."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import datetime, timezone
        from email.utils import parsedate_to_datetime

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None
