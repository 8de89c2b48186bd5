"""A minimal loopback OpenAI-compatible server for the benchmarks: replies as fast as it can.

Each reply is built once and sent with one ``sendall`` (no per-chunk Python work while it
streams), so what a benchmark measures is the client. The reply's size is named by the URL:
``{base}/tokens/N/chat/completions`` answers an SSE stream of N one-token chunks (a finish
chunk, a usage chunk and ``[DONE]`` after them). Requests are read in full (a long session's
body is tens of MB) and their byte sizes kept (``request_sizes``). HTTP/1.1 keep-alive.

The server runs in a process of its own, as a real one does: in the benchmark's process its
threads would share the interpreter lock with the client measured (a bare httpx client in the
benchmark's process would be slowed by it, a REPL in another process not).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import urllib.request

_HEAD = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "model": "bench-model"}


def token_text(i: int) -> str:
    """The i-th token of a reply: words, a line break every 15 tokens, a paragraph every 120."""
    if i % 120 == 119:
        return "end.\n\n"
    if i % 15 == 14:
        return f"word{i % 97}\n"
    return f"word{i % 97} "


def sse_body(tokens: int) -> bytes:
    """The whole SSE body of a ``tokens``-token reply."""
    def chunk(delta: dict, finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return "data: " + json.dumps({**_HEAD, "choices": [choice]}) + "\n\n"

    parts = [chunk({"role": "assistant", "content": ""})]
    parts += [chunk({"content": token_text(i)}) for i in range(tokens)]
    parts.append(chunk({}, "stop"))
    usage = {"prompt_tokens": 12, "completion_tokens": tokens, "total_tokens": 12 + tokens}
    parts.append("data: " + json.dumps({**_HEAD, "choices": [], "usage": usage}) + "\n\n")
    parts.append("data: [DONE]\n\n")
    return "".join(parts).encode()


class FastSseServer:
    """The server, started in a process of its own on 127.0.0.1 (a free port); a context
    manager."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self.base_url = ""

    def api_base(self, tokens: int) -> str:
        """The --api-base whose chat completions answer ``tokens`` tokens."""
        return f"{self.base_url}/tokens/{tokens}"

    @property
    def request_sizes(self) -> list[int]:
        """The body sizes of the chat requests served so far, in order."""
        with urllib.request.urlopen(f"{self.base_url}/sizes", timeout=10) as answer:
            return json.loads(answer.read())

    def __enter__(self) -> FastSseServer:
        self._process = subprocess.Popen([sys.executable, __file__], stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()


class _Server:
    """The server itself, one thread per connection."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.request_sizes: list[int] = []
        self._replies: dict[int, bytes] = {}
        self._lock = threading.Lock()
        self._stopping = False

    def reply(self, tokens: int) -> bytes:
        """The whole HTTP response (headers and body) of a ``tokens``-token reply (built once)."""
        with self._lock:
            if tokens not in self._replies:
                body = sse_body(tokens)
                head = (f"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                        f"content-length: {len(body)}\r\n\r\n").encode()
                self._replies[tokens] = head + body
            return self._replies[tokens]

    def serve_forever(self) -> None:
        """Accept connections until the process ends."""
        self._accept()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        spare = [bytearray()]
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                length = next((int(line.split(":", 1)[1]) for line in lines[1:]
                               if line.lower().startswith("content-length:")), 0)
                buffer = self._read_body(conn, buffer, length, spare)
                if path == "/sizes":
                    body = json.dumps(self.request_sizes).encode()
                    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                                 b"content-length: %d\r\n\r\n%s" % (len(body), body))
                    continue
                self.request_sizes.append(length)
                parts = path.split("/")
                tokens = int(parts[2]) if len(parts) > 2 and parts[1] == "tokens" else 1
                conn.sendall(self.reply(tokens))

    @staticmethod
    def _read_body(conn: socket.socket, buffer: bytes, length: int, spare: list[bytearray]) -> bytes:
        """Read (and drop) a body of ``length`` bytes into the connection's ``spare`` buffer
        (grown once, reused); returns what followed it."""
        if len(buffer) >= length:
            return buffer[length:]
        if len(spare[0]) < length:
            spare[0] = bytearray(length)
        view = memoryview(spare[0])
        got = len(buffer)
        while got < length:
            n = conn.recv_into(view[got:length], length - got)
            if not n:
                raise ConnectionError("client went away mid-request")
            got += n
        return b""


if __name__ == "__main__":
    server = _Server()
    print(server.base_url, flush=True)
    server.serve_forever()
