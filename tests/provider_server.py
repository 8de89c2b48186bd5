"""A loopback HTTP server that speaks both streaming chat protocols, for tests.

It is a real server on 127.0.0.1 (free port, background thread): the code under test goes
through httpx, sockets and SSE exactly as against a real provider.

    # In a test, through the `provider_server` fixture (tests/conftest_providers.py):
    def test_reply(provider_server):
        provider_server.script(text="Hi there!", usage={"input": 7, "output": 3})
        spec = parse_provider_spec("loop", provider_server.provider_spec("openai-compatible"))
        ...   # or pass provider_server.openai_base as --api-base
        req = provider_server.requests[-1]      # .method .path .headers (lower-case) .body (JSON)

    # Outside pytest (a benchmark, a manual run):
    with ProviderServer() as server: ...

Endpoints (POST): `/v1/chat/completions` and `/chat/completions` (OpenAI chunks, usage chunk
when `stream_options.include_usage`, then `data: [DONE]`), `/v1/messages` (Anthropic events
message_start ... message_stop); (GET) `/v1/models` and `/models` (the script's `models`).
Addresses: `base_url` ("http://127.0.0.1:PORT"), `openai_base` (base_url + "/v1"),
`anthropic_base` (= base_url). What each protocol sends is in tests/provider_replies.py.

`script(...)` sets how the following requests are answered (each call resets everything):
  text          reply text
  chunks        None: one piece per word; int N: about N equal pieces; list[str]: exact pieces
  reasoning     text streamed as reasoning first (OpenAI: `reasoning_field` deltas; Anthropic:
                a thinking block, then its signature `provider_replies.SIGNATURE`)
  reasoning_field  "reasoning_content" (DeepSeek, vLLM; default) or "reasoning" (OpenRouter, Ollama)
  whole         True: ignore `stream: true` and answer one JSON body (chat.completion / message)
  models        the model ids GET /models lists; None: that endpoint answers 404
  models_page   list them this many a page (Anthropic's has_more / last_id / after_id)
  delay         seconds slept before each piece (for cancellation and timeout tests)
  hold_after    after this many pieces the stream waits until `release()` is called (or the
                server stops): a test acts at an exact point of a reply without sleeping
  usage         {"input", "output", "cache_read", "cache_write", "reasoning"} mapped to each
                protocol (OpenAI prompt_tokens = input + cache_read), values sent as given
  stop_reason   finish_reason / stop_reason to report
  line_ending   "\\n" (default) or "\\r\\n"
  fault         None, or what goes wrong:
                  int N        HTTP status N with a JSON error body (both protocols' shape)
                  "malformed"  a `data:` line of invalid JSON after the first piece
                  "cut"        the connection drops mid-stream (chunked body left unfinished)
                  "truncate"   the body ends cleanly but before [DONE] / message_stop
                  "hang"       no response at all, until the client hangs up (or its
                               read timeout fires)
                  "stall"      headers and the first piece, then nothing until the client
                               hangs up
                  "linger"     the whole reply, but the body is never ended (no last chunk)
                  "error_event" an in-stream error (Anthropic `event: error`, OpenAI `{"error"}`)
                               after the first piece of text
                  "error_first" the same error before any text
                  "trickle"    headers, then a keep-alive comment every 20 ms, forever
                  "long_line"  headers, then one `data:` line of `line_bytes` bytes, never ended
  fault_times   how many requests get the fault before normal replies resume (default 1)
  retry_after   Retry-After header value sent with status faults
  error_message message in the error body or event; "{auth}" in it becomes the request's
                own Authorization / x-api-key header (a server that echoes the key)
  error_body    for status faults: the whole body instead (a dict is sent as JSON, a str as
                text/plain)
  line_bytes    size of the "long_line" fault's line (default 64 MiB)

Connections: `connections_opened` / `connections_closed` count TCP connections accepted and
ended (closed by either side); `wait_for(predicate, timeout)` waits until one holds, e.g.
`server.wait_for(lambda: len(server.requests) == 1)`.
"""

from __future__ import annotations

import json
import re
import select
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl

from smelt_repl.session_core.usage import USAGE_FIELDS
from tests import provider_replies as replies

OPENAI_PATHS = ("/v1/chat/completions", "/chat/completions")
ANTHROPIC_PATHS = ("/v1/messages",)
DEFAULT_USAGE = {**dict.fromkeys(USAGE_FIELDS, 0), "input": 12, "output": 5}


@dataclass
class Script:
    """How the server answers; see the module docstring for each field."""

    text: str = "Hello from the loopback server."
    chunks: int | list[str] | None = None
    reasoning: str = ""
    delay: float = 0.0
    hold_after: int | None = None
    usage: dict = field(default_factory=lambda: dict(DEFAULT_USAGE))
    stop_reason: str | None = None
    line_ending: str = "\n"
    fault: int | str | None = None
    fault_times: int = 1
    retry_after: str | float | None = None
    error_message: str = "injected fault"
    error_body: dict | str | None = None
    reasoning_field: str = "reasoning_content"
    whole: bool = False
    models: list[str] | None = field(default_factory=lambda: ["loop-model", "loop-model-large"])
    models_page: int | None = None
    line_bytes: int = 64 * 1024 * 1024

    def pieces(self) -> list[str]:
        if isinstance(self.chunks, list):
            return list(self.chunks)
        if self.chunks is None:
            return re.findall(r"\S+\s*|\s+", self.text) or [""]
        size = max(1, -(-len(self.text) // max(1, self.chunks)))
        return [self.text[i : i + size] for i in range(0, len(self.text), size)] or [""]


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None when the body was not JSON


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client hanging up is normal
            super().handle_error(request, client_address)


class _Cut(Exception):
    """Raised inside the handler to drop the connection mid-stream."""


class ProviderServer:
    """The loopback server; start() it (or use it as a context manager) and stop() it."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._script = Script()
        self._faults_left = 0
        self.connections_opened = 0
        self.connections_closed = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._released = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.openai_base = self.base_url + "/v1"
        self.anthropic_base = self.base_url

    def start(self) -> "ProviderServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._released.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "ProviderServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, **options: Any) -> Script:
        """Replace the reply script (fields of `Script`); resets the fault counter."""
        with self._lock:
            self._script = Script(**options)
            self._released.clear()
            self._faults_left = self._script.fault_times if self._script.fault is not None else 0
            return self._script

    def release(self) -> None:
        """Let streams held by `hold_after` go on to their end."""
        self._released.set()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
        """Wait until `predicate()` holds (checked on each request or connection change);
        False if it still does not after `timeout` seconds."""
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    def _count(self, opened: int = 0, closed: int = 0) -> None:
        with self._changed:
            self.connections_opened += opened
            self.connections_closed += closed
            self._changed.notify_all()

    def clear(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self.requests.clear()

    def provider_spec(self, kind: str = "openai-compatible", **extra: Any) -> dict:
        """A raw provider spec (for `parse_provider_spec` or `smelt.provider.register`)
        pointing at this server, with fast retries and a short timeout."""
        base = self.openai_base if kind == "openai-compatible" else self.anthropic_base
        return {"kind": kind, "api_base": base, "retry_backoff": 0.01, "timeout": 5, **extra}

    def _take(self, request: RecordedRequest) -> tuple[Script, bool]:
        """Record `request`; the script, and whether a POST gets the scripted fault."""
        with self._lock:
            self.requests.append(request)
            self._changed.notify_all()
            faulty = self._faults_left > 0 and request.method == "POST"
            if faulty:
                self._faults_left -= 1
            return self._script, faulty


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Send each SSE piece at once (Nagle would hold small writes back ~40 ms).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.owner._count(opened=1)  # type: ignore[attr-defined]

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._count(closed=1)  # type: ignore[attr-defined]

    def _until_hang_up(self) -> None:
        """Send nothing until the client closes or shuts down the connection (or the
        server stops); then end this connection."""
        owner: ProviderServer = self.server.owner  # type: ignore[attr-defined]
        self.close_connection = True
        while not owner._stopping.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.02)
            if readable:
                try:
                    if not self.connection.recv(4096):
                        return
                except OSError:
                    return

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        owner: ProviderServer = self.server.owner  # type: ignore[attr-defined]
        headers = {k.lower(): v for k, v in self.headers.items()}
        script, _ = owner._take(RecordedRequest("GET", self.path, headers, None))
        path, _, query = self.path.partition("?")
        if path not in ("/v1/models", "/models") or script.models is None:
            return self._send_json(404, replies.error_body(False, "not_found", f"no route {path}"))
        after = dict(parse_qsl(query)).get("after_id")
        start = script.models.index(after) + 1 if after in script.models else 0
        page = script.models[start : start + (script.models_page or len(script.models))]
        data = [{"id": model, "object": "model", "type": "model"} for model in page]
        more = start + len(page) < len(script.models)
        self._send_json(200, {"object": "list", "data": data, "has_more": more, "last_id": page[-1] if page else None})

    def do_POST(self) -> None:
        owner: ProviderServer = self.server.owner  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        script, faulty = owner._take(RecordedRequest("POST", self.path, headers, body))
        anthropic = self.path in ANTHROPIC_PATHS
        if self.path not in OPENAI_PATHS + ANTHROPIC_PATHS:
            return self._send_json(404, replies.error_body(anthropic, "not_found", f"no route {self.path}"))
        fault = script.fault if faulty else None
        if fault == "hang":
            return self._until_hang_up()
        if isinstance(fault, int):
            return self._send_status_fault(fault, script, anthropic, headers)
        if script.whole:
            whole = replies.anthropic_whole if anthropic else replies.openai_whole
            return self._send_json(200, whole(script, body or {}))
        events = (replies.anthropic_events if anthropic else replies.openai_events)(script, body or {}, fault)
        try:
            self._stream(events, script, fault)
        except _Cut:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (cancelled): fine

    def _send_status_fault(self, status: int, script: Script, anthropic: bool, headers: dict) -> None:
        kind = "rate_limit_error" if status == 429 else "api_error"
        extra = {"retry-after": str(script.retry_after)} if script.retry_after is not None else {}
        message = script.error_message.replace("{auth}", headers.get("authorization") or headers.get("x-api-key", ""))
        body = script.error_body if script.error_body is not None else replies.error_body(anthropic, kind, message)
        self._send_json(status, body, extra)

    def _send_json(self, status: int, body: dict | str, extra: dict[str, str] | None = None) -> None:
        plain = isinstance(body, str)
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "text/plain" if plain else "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, events: Any, script: Script, fault: int | str | None) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        pieces = 0
        for item in events:
            if item is None:
                break
            if item is replies.CUT:
                raise _Cut
            if item is replies.STALL:
                return self._until_hang_up()
            if item is replies.TRICKLE:
                return self._trickle()
            if item is replies.LONG_LINE:
                return self._long_line(script.line_bytes)
            if item == "delay":  # comes before each piece
                if pieces == script.hold_after:
                    self.server.owner._released.wait(10)  # type: ignore[attr-defined]
                pieces += 1
                time.sleep(script.delay)
                continue
            text = item.replace("\n", script.line_ending).encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(text), text))
        if fault == "linger":
            return self._until_hang_up()  # the reply is whole, the body never ends
        self.wfile.write(b"0\r\n\r\n")

    def _trickle(self) -> None:
        """A keep-alive comment every 20 ms until the client goes away or the server stops."""
        owner: ProviderServer = self.server.owner  # type: ignore[attr-defined]
        self.close_connection = True
        comment = b": still thinking\n\n"
        while not owner._stopping.wait(0.02):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(comment), comment))

    def _long_line(self, size: int) -> None:
        """One `data:` line of `size` bytes in 1 MiB chunks, never ended."""
        self.close_connection = True
        piece = b"x" * (1024 * 1024)
        frame = b"%x\r\n%s\r\n" % (len(piece), piece)
        self.wfile.write(b"6\r\ndata: \r\n")
        for _ in range(size // len(piece)):
            self.wfile.write(frame)
