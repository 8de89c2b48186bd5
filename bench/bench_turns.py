"""Turns on long sessions (issue 13.5): a turn on a 50,000-message session against one on a
2-message session, measured in the same run, turns of the two interleaved (median of TURNS).

  offline   the built-in offline responder. Target: <= 1.5x.
  loopback  the OpenAI-compatible provider against a loopback server (bench/fast_sse_server.py)
            answering a 20-token reply: the whole history (~25 MB of JSON) is sent every
            turn. Target: <= 3x.
  floor     a bare httpx client POSTing a body of each turn's size to the same server (which
            reads a body into a reused buffer and parses none of it) and reading the same
            reply, interleaved with the turns: what sending the history costs by itself.
            Printed: the bare POSTs' own ratio, and each turn against its bare POST.

The session stores are on tmpfs (/dev/shm); ``--disk`` puts them in the system temp folder
(on disk here), where a turn's fsyncs add a few ms to both sessions alike.
Usage: python bench/bench_turns.py [--disk]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import report  # noqa: E402
from fast_sse_server import FastSseServer  # noqa: E402

from smelt_repl.app import App  # noqa: E402
from smelt_repl.session_core import SessionStore  # noqa: E402
from smelt_repl.session_core.derived import TRANSCRIPT_FILE  # noqa: E402
from smelt_repl.session_core.jsonl import dumps_line  # noqa: E402

TURNS = 15
LONG_PAIRS = 25_000
ON_DISK = "--disk" in sys.argv[1:]
Post = Callable[[int], float]  # a bare POST of the smallest (0) or largest (1) body: seconds


def session_app(pairs: int, **model: str) -> App:
    """An App that resumed a saved session of ``pairs`` user/assistant pairs (about 500 bytes
    each), warmed up with one turn. The store is on tmpfs when there is one, so that the
    turns' fsyncs (a few ms on a busy disk) do not hide the work that grows with the history."""
    root = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") and not ON_DISK else None)
    first = App(SessionStore(root), cwd=root, env={})
    first.session.append_message("user", "question", durable=True)
    session_id, transcript = first.session.id, first.session.dir / TRANSCRIPT_FILE
    first.shutdown()
    with open(transcript, "ab") as log:
        for i in range(pairs):
            log.write(dumps_line({"type": "message", "role": "assistant", "ts_ms": 1,
                                  "content": f"answer {i} " + "reply text " * 60, "model": "offline/offline"}))
            log.write(dumps_line({"type": "message", "role": "user", "ts_ms": 1,
                                  "content": f"question {i} " + "word " * 40}))
    app = App(SessionStore(root), cwd=root, env={}, **model)
    app.start(session_id)
    app.send("warm up")
    return app


def interleaved(short: App, long: App, floor: Post | None = None) -> list[float]:
    """Median seconds of a turn on each App, their turns taken in turn; with ``floor``, of
    a bare POST of each App's last body size too, in the same rounds."""
    def turn(app: App) -> float:
        start = time.perf_counter()
        result = app.send("one more question")
        elapsed = time.perf_counter() - start
        assert not result.error, result.error
        return elapsed

    def round_() -> tuple[float, ...]:
        turns = (turn(short), turn(long))
        return turns + (floor(0), floor(1)) if floor is not None else turns

    samples = [round_() for _ in range(TURNS)]
    short.shutdown()
    long.shutdown()
    return [statistics.median(sample[i] for sample in samples) for i in range(len(samples[0]))]


def compare(kind: str, target: float, floor: Post | None = None, **model: str) -> list[float]:
    """Report one kind of turn on both sessions and their ratio beside ``target``; answers
    the medians (seconds): the two turns', then the two bare POSTs' with ``floor``."""
    medians = interleaved(session_app(1, **model), session_app(LONG_PAIRS, **model), floor)
    small, big = medians[:2]
    report(f"{kind} turn, 2-message session", small * 1000, "ms")
    report(f"{kind} turn, {2 * LONG_PAIRS:,}-message session", big * 1000, "ms")
    report(f"{kind} long-session turn ratio", big / small, "x", target=f"<= {target:g}", ok=big / small <= target)
    return medians


@contextmanager
def bare_posts(server: FastSseServer) -> Iterator[Post]:
    """``post(i)``: seconds of a bare httpx POST (its reply read to the end) of a JSON body
    as large as the server's smallest (0) or largest (1) request so far."""
    import httpx

    bodies: dict[int, bytes] = {}
    url = server.api_base(20) + "/chat/completions"

    def post(which: int) -> float:
        if which not in bodies:
            size = (min if which == 0 else max)(server.request_sizes)
            bodies[which] = b'{"messages":"' + b"x" * (size - 16) + b'"}'
        start = time.perf_counter()
        reply = client.post(url, content=bodies[which], headers={"content-type": "application/json"})
        assert reply.status_code == 200 and reply.content.endswith(b"[DONE]\n\n")
        return time.perf_counter() - start

    with httpx.Client() as client:
        yield post


def main() -> None:
    print(f"session stores {'on disk (' + tempfile.gettempdir() + ')' if ON_DISK else 'on tmpfs'}", flush=True)
    compare("offline", 1.5)
    with FastSseServer() as server, bare_posts(server) as post:
        small, big, bare_small, bare_big = compare("loopback", 3, post, model_flag="bench-model",
                                                   api_base=server.api_base(20))
        sizes = min(server.request_sizes), max(server.request_sizes)
    report(f"bare httpx POST, {sizes[0]:,} bytes", bare_small * 1000, "ms")
    report(f"bare httpx POST, {sizes[1]:,} bytes", bare_big * 1000, "ms")
    report("bare POST ratio (the floor of the loopback one)", bare_big / bare_small, "x")
    report("loopback turn / bare POST, 2-message session", small / bare_small, "x")
    report(f"loopback turn / bare POST, {2 * LONG_PAIRS:,} messages", big / bare_big, "x")


if __name__ == "__main__":
    main()
