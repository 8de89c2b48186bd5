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
message_start ... message_stop). Addresses: `base_url` ("http://127.0.0.1:PORT"),
`openai_base` (base_url + "/v1"), `anthropic_base` (= base_url).

`script(...)` sets how the following requests are answered (each call resets everything):
  text          reply text
  chunks        None: one piece per word; int N: about N equal pieces; list[str]: exact pieces
  reasoning     text streamed as reasoning first (reasoning_content / thinking_delta)
  delay         seconds slept before each piece (for cancellation and timeout tests)
  hold_after    after this many pieces the stream waits until `release()` is called (or the
                server stops): a test acts at an exact point of a reply without sleeping
  usage         {"input", "output", "cache_read", "cache_write", "reasoning"} mapped to each
                protocol (OpenAI prompt_tokens = input + cache_read)
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
  fault_times   how many requests get the fault before normal replies resume (default 1)
  retry_after   Retry-After header value sent with status faults
  error_message message in the error body or event

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

from smelt_repl.session_core.usage import USAGE_FIELDS

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


_STALL = object()  # in an event list: send nothing more until the client hangs up


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
        with self._lock:
            self.requests.append(request)
            self._changed.notify_all()
            faulty = self._faults_left > 0
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
            return self._send_json(404, _error_body(anthropic, "not_found", f"no route {self.path}"))
        fault = script.fault if faulty else None
        if fault == "hang":
            return self._until_hang_up()
        if isinstance(fault, int):
            kind = "rate_limit_error" if fault == 429 else "api_error"
            extra = {"retry-after": str(script.retry_after)} if script.retry_after is not None else {}
            return self._send_json(fault, _error_body(anthropic, kind, script.error_message), extra)
        events = (_anthropic_events if anthropic else _openai_events)(script, body or {}, fault)
        try:
            self._stream(events, script, fault)
        except _Cut:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (cancelled): fine

    def _send_json(self, status: int, body: dict, extra: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
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
            if item is _Cut:
                raise _Cut
            if item is _STALL:
                return self._until_hang_up()
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


def _error_body(anthropic: bool, kind: str, message: str) -> dict:
    if anthropic:
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {"error": {"message": message, "type": kind, "code": None}}


def _sse(data: Any, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data if isinstance(data, str) else json.dumps(data)}\n\n"


def _faulty_pieces(script: Script, fault: str | None) -> tuple[list[str], Any]:
    """The pieces to send and, for mid-stream faults, what comes after the first half."""
    pieces = script.pieces()
    if fault in ("cut", "truncate"):
        return pieces[: max(1, len(pieces) // 2)], fault
    return pieces, fault


def _openai_events(script: Script, body: dict, fault: str | None) -> Any:
    head = {"id": "chatcmpl-loop", "object": "chat.completion.chunk", "model": body.get("model", "")}

    def chunk(delta: dict, finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return _sse({**head, "choices": [choice]})

    yield ": loopback keep-alive comment\n\n"
    yield chunk({"role": "assistant", "content": ""})
    for piece in re.findall(r"\S+\s*", script.reasoning):
        yield "delay"
        yield chunk({"reasoning_content": piece})
    pieces, fault = _faulty_pieces(script, fault)
    for i, piece in enumerate(pieces):
        yield "delay"
        yield chunk({"content": piece})
        if i == 0 and fault == "stall":
            yield _STALL
        if i == 0 and fault == "malformed":
            yield "data: {not json\n\n"
        if i == 0 and fault == "error_event":
            yield _sse({"error": {"message": script.error_message, "type": "server_error"}})
            return
    if fault == "cut":
        yield _Cut
    if fault == "truncate":
        return
    yield chunk({}, script.stop_reason or "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        yield _sse({**head, "choices": [], "usage": _openai_usage(script.usage)})
    yield _sse("[DONE]")


def _openai_usage(u: dict) -> dict:
    prompt = u.get("input", 0) + u.get("cache_read", 0)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": u.get("output", 0),
        "total_tokens": prompt + u.get("output", 0),
        "prompt_tokens_details": {"cached_tokens": u.get("cache_read", 0)},
        "completion_tokens_details": {"reasoning_tokens": u.get("reasoning", 0)},
    }


def _anthropic_events(script: Script, body: dict, fault: str | None) -> Any:
    u = script.usage
    usage = {
        "input_tokens": u.get("input", 0),
        "cache_read_input_tokens": u.get("cache_read", 0),
        "cache_creation_input_tokens": u.get("cache_write", 0),
        "output_tokens": 1,
    }
    message = {"id": "msg_loop", "type": "message", "role": "assistant", "model": body.get("model", ""),
               "content": [], "stop_reason": None, "usage": usage}
    yield _sse({"type": "message_start", "message": message}, "message_start")
    yield _sse({"type": "ping"}, "ping")
    index = 0
    if script.reasoning:
        yield _sse({"type": "content_block_start", "index": 0,
                    "content_block": {"type": "thinking", "thinking": ""}}, "content_block_start")
        for piece in re.findall(r"\S+\s*", script.reasoning):
            yield "delay"
            yield _sse({"type": "content_block_delta", "index": 0,
                        "delta": {"type": "thinking_delta", "thinking": piece}}, "content_block_delta")
        yield _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
        index = 1
    yield _sse({"type": "content_block_start", "index": index,
                "content_block": {"type": "text", "text": ""}}, "content_block_start")
    pieces, fault = _faulty_pieces(script, fault)
    for i, piece in enumerate(pieces):
        yield "delay"
        yield _sse({"type": "content_block_delta", "index": index,
                    "delta": {"type": "text_delta", "text": piece}}, "content_block_delta")
        if i == 0 and fault == "stall":
            yield _STALL
        if i == 0 and fault == "malformed":
            yield "event: content_block_delta\ndata: {not json\n\n"
        if i == 0 and fault == "error_event":
            yield _sse(_error_body(True, "overloaded_error", script.error_message), "error")
            return
    if fault == "cut":
        yield _Cut
    if fault == "truncate":
        return
    yield _sse({"type": "content_block_stop", "index": index}, "content_block_stop")
    yield _sse({"type": "message_delta", "delta": {"stop_reason": script.stop_reason or "end_turn",
                "stop_sequence": None}, "usage": {"output_tokens": u.get("output", 0)}}, "message_delta")
    yield _sse({"type": "message_stop"}, "message_stop")
