"""Hanging up a streamed HTTP call at once, from any thread (a cancel, a shutdown).

Closing a socket does not wake a thread blocked reading it (Linux), and closing an httpx
response or client only closes its sockets; shutting a socket down does wake it: the read
returns end-of-file at once, httpx raises, and the reading thread closes the response
itself. So each call learns which connection it runs on, through two documented httpcore
extensions: ``trace`` names the network stream of a connection the call opens, and the
response's ``network_stream`` names it once the headers are in.

A call waiting for headers on a reused keep-alive connection cannot tell which one the
pool gave it: its hang-up shuts down every connection of its client that no other call
owns. Idle ones among them are then dropped by the pool (a socket at end-of-file counts as
closed by the server) and reopened on demand; only another call of the same client, also
still waiting for its headers, could be cut with it.
"""

from __future__ import annotations

import socket
import threading
import weakref
from typing import Any

# httpcore trace events whose return value is a new network stream ("connection." or,
# for a tunnel through an HTTP proxy, "proxy." before the name).
_OPENED = ("connect_tcp.complete", "start_tls.complete")


class Connections:
    """The live network streams of one httpx client and the call that owns each, if any."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Weak both ways: a stream is forgotten once httpcore drops its connection, and an
        # owner (which refers to its stream) never keeps the stream alive.
        self._owners: weakref.WeakKeyDictionary[Any, weakref.ref[Call] | None] = weakref.WeakKeyDictionary()

    def claim(self, stream: Any, call: Call) -> None:
        """Mark `stream` as carrying `call`."""
        with self._lock:
            self._owners[stream] = weakref.ref(call)

    def release(self, stream: Any, call: Call) -> None:
        """`call` is over: its stream (if still open) is idle in the pool now."""
        with self._lock:
            owner = self._owners.get(stream)
            if owner is not None and owner() is call:
                self._owners[stream] = None

    def forget(self, stream: Any) -> None:
        """Drop `stream` (a TCP stream that TLS took over, say)."""
        with self._lock:
            self._owners.pop(stream, None)

    def shut_down_unowned(self) -> None:
        """Shut down every stream no call owns (idle ones, or one a call just picked)."""
        with self._lock:
            streams = [stream for stream, owner in self._owners.items() if owner is None or owner() is None]
        for stream in streams:
            shut_down(stream)

    def shut_down_all(self) -> None:
        """Shut down every stream: in-flight reads end now (the client is closing)."""
        with self._lock:
            streams = list(self._owners.keys())
        for stream in streams:
            shut_down(stream)


class Call:
    """One streamed request: the connection it runs on, once known, and `hang_up()`."""

    def __init__(self, connections: Connections) -> None:
        self._connections = connections
        self._lock = threading.Lock()
        self._stream: Any = None
        self._hung_up = False

    def trace(self, event: str, info: dict) -> None:
        """httpcore's ``trace`` extension: learns the stream of a connection the call opens."""
        if event.endswith(_OPENED) and info.get("return_value") is not None:
            self.attach(info["return_value"])

    def attach(self, stream: Any) -> None:
        """The call runs on `stream` (a hang-up already asked for shuts it down now)."""
        if stream is None:
            return
        with self._lock:
            before, self._stream = self._stream, stream
            hung_up = self._hung_up
        if before is not None and before is not stream:
            self._connections.forget(before)
        self._connections.claim(stream, self)
        if hung_up:
            shut_down(stream)

    def hang_up(self) -> None:
        """End the call's I/O at once, from any thread; safe to call more than once."""
        with self._lock:
            self._hung_up = True
            stream = self._stream
        if stream is not None:
            shut_down(stream)
        else:
            self._connections.shut_down_unowned()

    def done(self) -> None:
        """The response is closed: the connection, if kept alive, belongs to no call now."""
        with self._lock:
            stream = self._stream
        if stream is not None:
            self._connections.release(stream, self)


def shut_down(stream: Any) -> None:
    """Shut down the socket under an httpcore network stream; errors mean it is gone already."""
    try:
        sock = stream.get_extra_info("socket")
        if sock is not None:
            # The plain socket method also for TLS: SSLSocket.shutdown would drop its SSL
            # object under the reading thread's feet.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, AttributeError, ValueError):
        pass
