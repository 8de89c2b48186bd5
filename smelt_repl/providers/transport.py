"""HTTP for the network providers: one streamed POST, its failures as `ProviderError`, retries.

One httpx client per transport, kept alive across calls (a finished body is read to its end
so its connection goes back to the pool); a cancel hangs a call up at once (`hangup`).
httpx is imported on the first request, never at module import: it costs ~60 ms of
start-up that the offline path and `--list` should not pay.
"""

from __future__ import annotations

import json
import threading
from contextlib import closing
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from smelt_repl.session_core.content import clip

from .base import ChatRequest, Done, ProviderError, StreamEvent, Usage, UsageReport
from .cancel import CancelToken
from .hangup import Call, Connections
from .spec import ProviderSpec

Cancel = CancelToken | threading.Event  # a plain Event works, without the prompt hang-up

MAX_RETRY_WAIT_S = 60.0  # a server asking for a longer pause gets no retry
DRAIN_S = 0.5  # how long the end of a finished body may take before the connection is dropped
_DRAIN_LIMIT = 64 * 1024
_ERROR_BODY_LIMIT = 64 * 1024
_MESSAGE_LIMIT = 200
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
_REASONS = {
    400: "bad request", 401: "unauthorized", 403: "forbidden", 404: "not found",
    408: "request timeout", 413: "request too large", 422: "unprocessable request",
    429: "rate limited", 529: "overloaded",
}


class HttpTransport:
    """Streams POST responses for one provider spec over one lazily made, kept-alive client.

    A cancel (a `CancelToken`) hangs the call up at once, whether it waits for headers or
    for the next piece of the body (see `hangup`); the client stays usable. `close()` ends
    the client and every call still running on it; a closed transport refuses new calls.
    """

    def __init__(self, spec: ProviderSpec) -> None:
        self.spec = spec
        self._client: Any = None
        self._closed = False
        self._lock = threading.Lock()
        self.connections = Connections()

    @property
    def closed(self) -> bool:
        """True once `close()` ran."""
        return self._closed

    def client(self) -> Any:
        """The httpx client, made on first use; ProviderError once the transport is closed."""
        import httpx  # lazy: see the module docstring

        with self._lock:
            if self._closed:
                raise ProviderError(self.spec.name, "provider closed (smelt is shutting down)")
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

    def close(self) -> None:
        """Close the client and cut the calls still running on it; safe to call twice."""
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            self.connections.shut_down_all()  # a plain close would not wake a blocked read
            client.close()

    def stream_lines(
        self, url: str, headers: dict[str, str], body: dict, cancel: Cancel, model: str
    ) -> ResponseLines:
        """POST `body` as JSON; the response's text lines, ending quietly on cancel."""
        return ResponseLines(self, url, headers, body, cancel, model)

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


class ResponseLines:
    """The text lines of one streamed POST (iterate once; nothing is sent before that).

    A cancel, or `close()` of the transport, hangs the call up at once and the lines end
    quietly. `finish()` after the reply's last event reads the end of the body so the
    connection goes back to the pool; `close()` closes the response.
    """

    def __init__(self, transport: HttpTransport, url: str, headers: dict[str, str], body: dict,
                 cancel: Cancel, model: str) -> None:
        self._transport = transport
        self._call = Call(transport.connections)
        self._request = (url, {"content-type": "application/json", **headers}, json.dumps(body).encode("utf-8"))
        self._cancel = cancel
        self._model = model
        self._body_lines: Iterator[str] | None = None
        self._lines = self._run()

    def __iter__(self) -> Iterator[str]:
        return self._lines

    def close(self) -> None:
        """Close the response (a no-op if it never started or already ended)."""
        self._lines.close()

    def finish(self) -> None:
        """Read the rest of the body (after a reply's last event: a few bytes), giving up
        after `DRAIN_S` or 64 KiB; the connection is kept alive only when the body ends."""
        import httpx

        lines, self._body_lines = self._body_lines, None
        if lines is None or self._cancel.is_set():
            return
        timer = threading.Timer(DRAIN_S, self._call.hang_up)
        timer.daemon = True
        timer.start()
        size = 0
        try:
            for line in lines:
                size += len(line) + 1
                if size > _DRAIN_LIMIT:
                    break
        except httpx.HTTPError:
            pass  # the connection is dropped; the reply was complete anyway
        finally:
            timer.cancel()

    def _run(self) -> Iterator[str]:
        cancel, call, transport = self._cancel, self._call, self._transport
        if cancel.is_set():
            return
        import httpx

        url, headers, payload = self._request
        client = transport.client()
        forget = _on_cancel(cancel, call.hang_up)
        receiving = False
        try:
            with client.stream("POST", url, headers=headers, content=payload,
                               extensions={"trace": call.trace}) as resp:
                call.attach(resp.extensions.get("network_stream"))
                if resp.status_code >= 300:
                    raise transport._status_error(resp.status_code, resp.headers, _read_some(resp), self._model)
                receiving = True
                self._body_lines = resp.iter_lines()
                for line in self._body_lines:
                    if cancel.is_set():
                        return
                    yield line
        except httpx.HTTPError as exc:
            if cancel.is_set():
                return  # hung up on purpose
            raise transport._network_error(exc, receiving) from None
        finally:
            self._body_lines = None
            forget()
            call.done()


class HttpProvider:
    """What the network providers share: the spec, the API key, one transport (one httpx
    client, kept alive across calls), retries, and `close()`.

    A protocol supplies `path` (after api_base), `_headers()`, `_body(request)` and
    `_events(lines, cancel)`, which turns response lines into events.
    """

    path = ""

    def __init__(self, spec: ProviderSpec, api_key: str | None = None) -> None:
        self.name = spec.name
        self.spec = spec
        self._api_key = api_key
        self._http = HttpTransport(spec)

    @property
    def closed(self) -> bool:
        """True once `close()` ran; a closed provider fails every call."""
        return self._http.closed

    def close(self) -> None:
        """Close the HTTP client (and cut any call still running); safe to call twice."""
        self._http.close()

    def stream(self, request: ChatRequest, cancel: Cancel) -> Iterator[StreamEvent]:
        """Stream the reply to `request`; see `Provider.stream`."""
        url = f"{self.spec.api_base}{self.path}"
        headers = self._headers()
        body = self._body(request)

        def attempt() -> Iterator[StreamEvent]:
            lines = self._http.stream_lines(url, headers, body, cancel, request.model)
            with closing(lines):
                for event in self._events(lines, cancel):
                    if isinstance(event, Done):
                        lines.finish()  # keep the connection for the next call
                    yield event

        return with_retries(self.spec, attempt, cancel)

    def _json_object(self, data: str, complete: bool) -> dict:
        """One event's JSON object; ProviderError for a malformed or cut one."""
        try:
            decoded = json.loads(data)
        except ValueError:
            if not complete:
                raise ProviderError(self.name, "stream cut mid-reply") from None
            raise ProviderError(self.name, f"malformed stream: invalid JSON in data line {data[:60]!r}") from None
        if not isinstance(decoded, dict):
            raise ProviderError(self.name, f"malformed stream: expected a JSON object, got {data[:60]!r}")
        return decoded

    def _headers(self) -> dict[str, str]:
        raise NotImplementedError

    def _body(self, request: ChatRequest) -> dict:
        raise NotImplementedError

    def _events(self, lines: Iterator[str], cancel: Cancel) -> Iterator[StreamEvent]:
        raise NotImplementedError


def with_retries(
    spec: ProviderSpec, attempt: Callable[[], Iterator[StreamEvent]], cancel: Cancel
) -> Iterator[StreamEvent]:
    """Run `attempt`, retrying retryable failures with exponential backoff.

    A retry happens only if the failed attempt yielded no delta, so none is ever shown
    twice. Usage a failed attempt reported (billed input) is carried over: later reports
    add it in, keeping every `UsageReport` cumulative for the whole call. The wait honours
    the server's Retry-After and is cut short by `cancel`.
    """
    retries = 0
    carried = Usage()  # usage of failed attempts, already reported
    while True:
        shown = False
        last: Usage | None = None
        try:
            with closing(attempt()) as events:
                for event in events:
                    if isinstance(event, UsageReport):
                        last = event.usage
                        event = UsageReport(carried.plus(last))
                    else:
                        shown = True
                    yield event
            return
        except ProviderError as exc:
            if cancel.is_set():
                return  # cancelled: whatever failed with it goes unreported, as for any cancel
            wait = _next_wait(spec, exc, retries)
            if shown or wait is None:
                if retries:
                    cause = f"{exc.cause} (after {retries} retries)"
                    raise ProviderError(exc.provider, cause, retryable=exc.retryable) from exc
                raise
        if last is not None:
            carried = carried.plus(last)
        retries += 1
        if cancel.wait(wait):
            return


def _on_cancel(cancel: Cancel, callback: Callable[[], None]) -> Callable[[], None]:
    """Register `callback` on a CancelToken; a plain Event gets none (and no prompt hang-up)."""
    register = getattr(cancel, "on_cancel", None)
    return register(callback) if register is not None else lambda: None


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
    return clip(text, _MESSAGE_LIMIT)
