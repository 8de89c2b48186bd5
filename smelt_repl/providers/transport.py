"""HTTP for the network providers: one streamed POST (or a small GET) over a kept-alive client.

One httpx client per transport, kept alive across calls (a finished body is read to its end
so its connection goes back to the pool); a cancel hangs a call up at once (`hangup`), and
so does the call's overall deadline. Bodies are read within bounds (`lines`). httpx is
imported on the first request, never at module import: it costs ~60 ms of start-up that
the offline path and `--list` should not pay.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from .base import ProviderError
from .cancel import CancelToken
from .errors import network_error, status_error
from .hangup import Call, Connections
from .lines import BodyTooLarge, bounded_body, bounded_line_batches
from .spec import ProviderSpec

Cancel = CancelToken | threading.Event  # a plain Event works, without the prompt hang-up
Payload = bytes | list[bytes]  # a request body, whole or in pieces

DRAIN_S = 0.5  # how long the end of a finished body may take before the connection is dropped
_DRAIN_LIMIT = 64 * 1024
_ERROR_BODY_LIMIT = 64 * 1024
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


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

    def stream_lines(self, url: str, headers: dict[str, str], body: Payload, cancel: Cancel, model: str,
                     deadline_at: float | None = None) -> ResponseLines:
        """POST `body` (JSON bytes, or pieces of them sent one after another); the response's
        text lines, ending quietly on cancel."""
        return ResponseLines(self, url, headers, body, cancel, model, deadline_at)

    def get_json(self, url: str, headers: dict[str, str], not_found: str) -> Any:
        """GET `url` and decode its JSON body (bounded); ProviderError for a status >= 300
        (`not_found` is the whole cause for a 404), a network failure or a body that is not JSON."""
        import httpx

        try:
            with self.client().stream("GET", url, headers=headers) as resp:
                if resp.status_code == 404:
                    raise ProviderError(self.spec.name, not_found)
                if resp.status_code >= 300:
                    raise status_error(self.spec, resp.status_code, resp.headers, _read_some(resp), "")
                body = bounded_body(resp.iter_bytes())
        except httpx.HTTPError as exc:
            raise network_error(self.spec, exc, False) from None
        except BodyTooLarge as exc:
            raise ProviderError(self.spec.name, f"{exc} from GET {url}") from None
        try:
            return json.loads(body)
        except ValueError:
            raise ProviderError(self.spec.name, f"GET {url} did not answer JSON") from None


class ResponseLines:
    """The text lines of one streamed POST (iterate once, by line or by `batches()`;
    nothing is sent before that).

    A cancel, or `close()` of the transport, hangs the call up at once and the lines end
    quietly; passing `deadline_at` (time.monotonic) hangs it up with a ProviderError.
    A server that answers one JSON body instead of a stream (`application/json`) yields
    no lines: its bytes are in `json_body` once the iteration ends. `finish()` after the
    reply's last event reads the end of the body so the connection goes back to the pool;
    `close()` closes the response.
    """

    def __init__(self, transport: HttpTransport, url: str, headers: dict[str, str], body: Payload,
                 cancel: Cancel, model: str, deadline_at: float | None = None) -> None:
        self._transport = transport
        self._call = Call(transport.connections)
        headers = {"content-type": "application/json", **headers}
        if isinstance(body, list):  # pieces: sent as they are, with a Content-Length, not chunked
            headers["content-length"] = str(sum(map(len, body)))
        self._request = (url, headers, body)
        self._cancel = cancel
        self._model = model
        self._deadline_at = deadline_at
        self._expired = False
        self._body_batches: Iterator[list[str]] | None = None
        self.json_body: bytes | None = None
        self._batches = self._run()

    def __iter__(self) -> Iterator[str]:
        return (line for batch in self._batches for line in batch)

    def batches(self) -> Iterator[list[str]]:
        """The lines a list at a time, as they arrive (what one read of the socket completed)."""
        return self._batches

    def close(self) -> None:
        """Close the response (a no-op if it never started or already ended)."""
        self._batches.close()

    def finish(self) -> None:
        """Read the rest of the body (after a reply's last event: a few bytes), giving up
        after `DRAIN_S` or 64 KiB; the connection is kept alive only when the body ends."""
        import httpx

        batches, self._body_batches = self._body_batches, None
        if batches is None or self._cancel.is_set():
            return
        timer = _timer(DRAIN_S, self._call.hang_up)
        size = 0
        try:
            for batch in batches:
                size += sum(map(len, batch)) + len(batch)
                if size > _DRAIN_LIMIT:
                    break
        except (httpx.HTTPError, BodyTooLarge):
            pass  # the connection is dropped; the reply was complete anyway
        finally:
            timer.cancel()

    def _run(self) -> Iterator[list[str]]:
        cancel, call, transport = self._cancel, self._call, self._transport
        if cancel.is_set():
            return
        import httpx

        url, headers, payload = self._request
        client = transport.client()
        timer = self._deadline_timer()
        forget = _on_cancel(cancel, call.hang_up)
        receiving = False
        try:
            with client.stream("POST", url, headers=headers, content=payload,
                               extensions={"trace": call.trace}) as resp:
                call.attach(resp.extensions.get("network_stream"))
                if resp.status_code >= 300:
                    raise status_error(transport.spec, resp.status_code, resp.headers, _read_some(resp), self._model)
                receiving = True
                if _is_json(resp.headers.get("content-type", "")):
                    self.json_body = bounded_body(resp.iter_bytes())
                    return
                self._body_batches = bounded_line_batches(resp.iter_bytes())
                for batch in self._body_batches:
                    if cancel.is_set():
                        return
                    yield batch
        except httpx.HTTPError as exc:
            if cancel.is_set():
                return  # hung up on purpose
            raise self._deadline_error() if self._expired else network_error(transport.spec, exc, receiving) from None
        except BodyTooLarge as exc:
            hint = " (is api_base a streaming chat API?)" if exc.what.startswith("a line") else ""
            raise ProviderError(transport.spec.name, f"{exc}: reply abandoned{hint}") from None
        finally:
            self._body_batches = None
            if timer is not None:
                timer.cancel()
            forget()
            call.done()

    def _deadline_timer(self) -> threading.Timer | None:
        if self._deadline_at is None:
            return None
        remaining = self._deadline_at - time.monotonic()
        if remaining <= 0:
            raise self._deadline_error()
        return _timer(remaining, self._expire)

    def _expire(self) -> None:
        self._expired = True
        self._call.hang_up()

    def _deadline_error(self) -> ProviderError:
        spec = self._transport.spec
        return ProviderError(spec.name, f"reply not finished after {spec.deadline_s:g} s (the provider's deadline)")


def _is_json(content_type: str) -> bool:
    """A whole JSON document (`application/json`, `...+json`), not an SSE or NDJSON stream."""
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _timer(seconds: float, action: Callable[[], None]) -> threading.Timer:
    timer = threading.Timer(seconds, action)
    timer.daemon = True
    timer.start()
    return timer


def _on_cancel(cancel: Cancel, callback: Callable[[], None]) -> Callable[[], None]:
    """Register `callback` on a CancelToken; a plain Event gets none (and no prompt hang-up)."""
    register = getattr(cancel, "on_cancel", None)
    return register(callback) if register is not None else lambda: None


def _read_some(resp: Any) -> bytes:
    body = b""
    for chunk in resp.iter_bytes():
        body += chunk
        if len(body) >= _ERROR_BODY_LIMIT:
            break
    return body
