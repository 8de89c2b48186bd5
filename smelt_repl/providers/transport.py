"""HTTP for the network providers: one streamed POST, its failures as `ProviderError`, retries.

httpx is imported on the first request, never at module import: it costs ~60 ms of
start-up that the offline path and `--list` should not pay.
"""

from __future__ import annotations

import json
import threading
from contextlib import closing
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from .base import ProviderError, StreamEvent, Usage, UsageReport
from .spec import ProviderSpec

MAX_RETRY_WAIT_S = 60.0  # a server asking for a longer pause gets no retry
_ERROR_BODY_LIMIT = 64 * 1024
_MESSAGE_LIMIT = 200
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
_REASONS = {
    400: "bad request", 401: "unauthorized", 403: "forbidden", 404: "not found",
    408: "request timeout", 413: "request too large", 422: "unprocessable request",
    429: "rate limited", 529: "overloaded",
}


class HttpTransport:
    """Streams POST responses for one provider spec over a lazily made, reused client."""

    def __init__(self, spec: ProviderSpec) -> None:
        self.spec = spec
        self._client: Any = None
        self._lock = threading.Lock()

    def _get_client(self) -> Any:
        import httpx  # lazy: see the module docstring

        with self._lock:
            if self._client is None:
                url = urlsplit(self.spec.api_base or "")
                self._client = httpx.Client(
                    timeout=httpx.Timeout(self.spec.timeout_s),
                    # A local server must not be reached through the user's HTTP proxy.
                    trust_env=url.hostname not in _LOOPBACK_HOSTS,
                    # Plain http:// never uses TLS; skipping the CA bundle saves ~35 ms.
                    verify=url.scheme == "https",
                    headers={"user-agent": "smelt-repl"},
                )
            return self._client

    def stream_lines(
        self, url: str, headers: dict[str, str], body: dict, cancel: threading.Event, model: str
    ) -> Iterator[str]:
        """POST `body` as JSON and yield the response's text lines; ends quietly on cancel."""
        if cancel.is_set():
            return
        import httpx

        payload = json.dumps(body).encode("utf-8")
        headers = {"content-type": "application/json", **headers}
        receiving = False
        try:
            with self._get_client().stream("POST", url, headers=headers, content=payload) as resp:
                if resp.status_code >= 300:
                    raise self._status_error(resp.status_code, resp.headers, _read_some(resp), model)
                receiving = True
                for line in resp.iter_lines():
                    if cancel.is_set():
                        return
                    yield line
        except httpx.HTTPError as exc:
            raise self._network_error(exc, receiving) from None

    def _status_error(self, status: int, headers: Any, body: bytes, model: str) -> ProviderError:
        spec = self.spec
        reason = _REASONS.get(status, "server error" if status >= 500 else "unexpected status")
        cause = f"HTTP {status} {reason}"
        if status in (401, 403):
            cause += f": check {spec.api_key_env}" if spec.api_key_env else (
                ": the server wants an API key; name its variable with api_key_env")
        elif status == 404:
            cause += f": check the model name '{model}' and api_base {spec.api_base}"
        message = error_message(body)
        if message:
            cause += f" (server: {message})"
        retryable = status == 429 or status >= 500
        return ProviderError(
            spec.name, cause, retryable=retryable, retry_after=_retry_after(headers)
        )

    def _network_error(self, exc: Exception, receiving: bool) -> ProviderError:
        import httpx

        base, name, timeout = self.spec.api_base, self.spec.name, self.spec.timeout_s
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


def with_retries(
    spec: ProviderSpec, attempt: Callable[[], Iterator[StreamEvent]], cancel: threading.Event
) -> Iterator[StreamEvent]:
    """Run `attempt`, retrying retryable failures with exponential backoff.

    A retry happens only if the failed attempt yielded no delta, so none is ever shown
    twice. Usage a failed attempt reported (billed input) is carried over: later reports
    add it in, keeping every `UsageReport` cumulative for the whole call. The wait honours
    the server's Retry-After and is cut short by `cancel`.
    """
    retries = 0
    carried: Usage | None = None  # usage of failed attempts, already reported
    while True:
        shown = False
        last: Usage | None = None
        try:
            with closing(attempt()) as events:
                for event in events:
                    if isinstance(event, UsageReport):
                        last = event.usage
                        if carried is not None:
                            event = UsageReport(_add_usage(carried, event.usage))
                    else:
                        shown = True
                    yield event
            return
        except ProviderError as exc:
            wait = _next_wait(spec, exc, retries)
            if shown or wait is None or cancel.is_set():
                if retries:
                    cause = f"{exc.cause} (after {retries} retries)"
                    raise ProviderError(exc.provider, cause, retryable=exc.retryable) from exc
                raise
        if last is not None:
            carried = last if carried is None else _add_usage(carried, last)
        retries += 1
        if cancel.wait(wait):
            return


def _add_usage(before: Usage, now: Usage) -> Usage:
    """`before` (finished attempts) plus `now`; the context size is the latest attempt's."""
    return Usage(
        input=before.input + now.input,
        output=before.output + now.output,
        cache_read=before.cache_read + now.cache_read,
        cache_write=before.cache_write + now.cache_write,
        reasoning=before.reasoning + now.reasoning,
        context_tokens=now.context_tokens if now.context_tokens is not None else before.context_tokens,
    )


def _next_wait(spec: ProviderSpec, exc: ProviderError, retries: int) -> float | None:
    if not exc.retryable or retries >= spec.max_retries:
        return None
    if exc.retry_after is not None:
        return exc.retry_after if exc.retry_after <= MAX_RETRY_WAIT_S else None
    return min(spec.retry_backoff_s * 2**retries, MAX_RETRY_WAIT_S)


def _retry_after(headers: Any) -> float | None:
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


def _read_some(resp: Any) -> bytes:
    body = b""
    for chunk in resp.iter_bytes():
        body += chunk
        if len(body) >= _ERROR_BODY_LIMIT:
            break
    return body


def error_message(body: bytes | str | dict) -> str:
    """The human message of an API error body (OpenAI or Anthropic shape), shortened."""
    data: Any = body
    if isinstance(body, (bytes, str)):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            data = json.loads(text)
        except ValueError:
            data = text.strip()
            if data.startswith("<"):  # an HTML error page says nothing useful on one line
                return ""
    if isinstance(data, dict):
        inner = data.get("error", data)
        if isinstance(inner, dict):
            data = inner.get("message") or inner.get("type") or ""
        else:
            data = inner if isinstance(inner, str) else data.get("message", "")
    text = " ".join(str(data).split())
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"
