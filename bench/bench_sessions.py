"""Session core benchmarks: list, texts, append cost growth, rewind and fork.

Run: ``python bench/bench_sessions.py`` (creates its data in a temp dir, ~1 minute).
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_list import settle  # noqa: E402
from common import report, time_ms  # noqa: E402

from smelt_repl.session_core import SessionStore  # noqa: E402

N_SESSIONS = 10_000


def populate(root: Path, count: int) -> list[str]:
    """Create ``count`` two-message sessions (fsync skipped: this is set-up, not measured)."""
    real_fsync = os.fsync
    os.fsync = lambda fd: None
    try:
        store = SessionStore(root)
        ids = []
        for i in range(count):
            session = store.new_session(f"/project/{i % 50}")
            session.append_message("user", f"question {i}: how do I frobnicate the widget?")
            session.append_message("assistant", f"answer {i}: " + "use the frobnicator. " * 20)
            session.close()
            ids.append(session.id)
        return ids
    finally:
        os.fsync = real_fsync


def bench_list_and_texts(root: Path) -> None:
    ids = populate(root, N_SESSIONS)
    shutil.rmtree(root / ".catalog", ignore_errors=True)  # the catalog: a cold listing
    start = time.perf_counter()
    rows = SessionStore(root).list()
    cold = (time.perf_counter() - start) * 1000
    assert len(rows) == N_SESSIONS
    report("list() 10k sessions, cold (no catalog)", cold, "ms")
    store = SessionStore(root)
    store.list()
    warm = time_ms(store.list, repeat=9)
    report("list() 10k sessions, warm (catalog in memory)", warm, "ms", "<= 50 ms", warm <= 50)
    racy = time_ms(lambda: SessionStore(root).list(), repeat=9)
    report("list() 10k, first call of a process, root changed < 1 s ago (read again)", racy, "ms")
    settle(root)  # as a store is unless a session was made in the last second (catalog.RACY_MTIME_NS)
    fresh = time_ms(lambda: SessionStore(root).list(), repeat=9)
    report("list() 10k, first call of a process (stat check)", fresh, "ms", "<= 50 ms", fresh <= 50)
    texts_ms = time_ms(lambda: store.texts(ids), repeat=3)
    report("texts() of 10k ids", texts_ms, "ms", "<= 1000 ms", texts_ms <= 1000)


def append_cost(session, samples: int = 60) -> float:
    costs = []
    for i in range(samples):
        start = time.perf_counter()
        session.append_message("user", f"measured message {i}")
        costs.append(time.perf_counter() - start)
    return statistics.median(costs) * 1e6


def bench_append(root: Path) -> None:
    store = SessionStore(root)
    small = store.new_session("/w")
    for i in range(10):
        small.append_message("user", f"m{i}")
    big = store.new_session("/w")
    real_fsync = os.fsync
    os.fsync = lambda fd: None
    try:
        for i in range(10_000):
            big.append_message("user" if i % 2 == 0 else "assistant", f"message {i} " + "lorem ipsum " * 10)
    finally:
        os.fsync = real_fsync
    at_10 = append_cost(small)
    at_10k = append_cost(big)
    report("append at message 10", at_10, "us")
    report("append at message 10,000", at_10k, "us")
    ratio = at_10k / at_10
    report("append cost ratio 10,000 / 10", ratio, "x", "<= 1.2", ratio <= 1.2)


def bench_rewind_fork(root: Path) -> None:
    store = SessionStore(root)
    session = store.new_session("/w")
    real_fsync = os.fsync
    os.fsync = lambda fd: None
    try:
        for i in range(2_500):
            session.append_message("user", f"question {i} " + "lorem ipsum " * 10)
            session.append_message("assistant", f"answer {i} " + "dolor sit amet " * 20)
    finally:
        os.fsync = real_fsync
    turn = session.turns()[1_250].block_idx
    rewind = time_ms(lambda: session.rewind_to(turn), repeat=1)
    session.undo_rewind()
    report("rewind of a 5,000-message session", rewind, "ms", "<= 100 ms", rewind <= 100)
    forks = []
    fork = time_ms(lambda: forks.append(store.fork(session)), repeat=5)
    report("fork of a 5,000-message session", fork, "ms", "<= 100 ms", fork <= 100)


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="smelt-bench-"))
    try:
        bench_append(base / "append")
        bench_rewind_fork(base / "rewind")
        bench_list_and_texts(base / "list")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
