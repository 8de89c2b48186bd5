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


def interleaved(short: App, long: App) -> tuple[float, float]:
    """Median seconds of a turn on each App, their turns taken in turn."""
    def turn(app: App) -> float:
        start = time.perf_counter()
        result = app.send("one more question")
        elapsed = time.perf_counter() - start
        assert not result.error, result.error
        return elapsed

    samples = [(turn(short), turn(long)) for _ in range(TURNS)]
    short.shutdown()
    long.shutdown()
    return statistics.median(s for s, _ in samples), statistics.median(b for _, b in samples)


def compare(kind: str, target: float, **model: str) -> tuple[float, float]:
    """Report one kind of turn on both sessions and their ratio beside ``target``; answers
    the two medians (seconds)."""
    small, big = interleaved(session_app(1, **model), session_app(LONG_PAIRS, **model))
    report(f"{kind} turn, 2-message session", small * 1000, "ms")
    report(f"{kind} turn, {2 * LONG_PAIRS:,}-message session", big * 1000, "ms")
    report(f"{kind} long-session turn ratio", big / small, "x", target=f"<= {target:g}", ok=big / small <= target)
    return small, big


def bare_posts(server: FastSseServer, sizes: tuple[int, int]) -> tuple[float, float]:
    """Median seconds of a bare httpx POST of a JSON body of each of ``sizes`` bytes (the
    reply read to its end), their POSTs taken in turn."""
    import httpx

    bodies = [b'{"messages":"' + b"x" * (size - 16) + b'"}' for size in sizes]
    url = server.api_base(20) + "/chat/completions"

    def post(body: bytes) -> float:
        start = time.perf_counter()
        reply = client.post(url, content=body, headers={"content-type": "application/json"})
        assert reply.status_code == 200 and reply.content.endswith(b"[DONE]\n\n")
        return time.perf_counter() - start

    with httpx.Client() as client:
        post(bodies[0]), post(bodies[1])
        samples = [(post(bodies[0]), post(bodies[1])) for _ in range(TURNS)]
    return statistics.median(s for s, _ in samples), statistics.median(b for _, b in samples)


def main() -> None:
    print(f"session stores {'on disk (' + tempfile.gettempdir() + ')' if ON_DISK else 'on tmpfs'}", flush=True)
    compare("offline", 1.5)
    with FastSseServer() as server:
        small, big = compare("loopback", 3, model_flag="bench-model", api_base=server.api_base(20))
        sizes = (min(server.request_sizes), max(server.request_sizes))
        bare_small, bare_big = bare_posts(server, sizes)
    report(f"bare httpx POST, {sizes[0]:,} bytes", bare_small * 1000, "ms")
    report(f"bare httpx POST, {sizes[1]:,} bytes", bare_big * 1000, "ms")
    report("bare POST ratio (the floor of the loopback one)", bare_big / bare_small, "x")
    report("loopback turn / bare POST, 2-message session", small / bare_small, "x")
    report(f"loopback turn / bare POST, {2 * LONG_PAIRS:,} messages", big / bare_big, "x")


if __name__ == "__main__":
    main()
