"""Turns on long sessions (issue 13.5): an offline turn on a 50,000-message session against
a 2-message one, in the same run. Target: <= 1.5x."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import report  # noqa: E402

from smelt_repl.app import App  # noqa: E402
from smelt_repl.session_core import SessionStore  # noqa: E402

TURNS = 5


def turn_seconds(pairs: int) -> float:
    """The mean time of TURNS offline turns on a session of ``pairs`` user/assistant pairs."""
    root = tempfile.mkdtemp()
    app = App(SessionStore(root), cwd=root, env={})
    app.start()
    for i in range(pairs):
        app.session.append_message("user", f"question {i} " + "word " * 40, durable=False)
        app.session.append_message("assistant", f"answer {i} " + "reply text " * 60, durable=False,
                                   model="offline/offline")
    app.send("warm up")
    start = time.perf_counter()
    for _ in range(TURNS):
        app.send("one more question")
    elapsed = (time.perf_counter() - start) / TURNS
    app.shutdown()
    return elapsed


def main() -> None:
    small, big = turn_seconds(1), turn_seconds(25_000)
    report("offline turn, 2-message session", small * 1000, "ms")
    report("offline turn, 50,000-message session", big * 1000, "ms")
    report("long-session turn ratio", big / small, "x", target="<= 1.5", ok=big / small <= 1.5)


if __name__ == "__main__":
    main()
