"""Listing at scale: ``--list`` of 10k and 50k sessions against an empty store, its memory
(settled, and when it must rewrite the catalog), a cold catalog rebuild, a process's first
``list()`` and ``texts()`` of 10k ids.

Run: ``python bench/bench_list.py`` (builds its stores in a temp dir, ~1 minute). The stores
are written directly in the canonical format (bench/store_fixture.py); their root's mtime
is set an hour back, as for a store nobody has added to in the last second.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from common import report, time_ms  # noqa: E402
from store_fixture import build_store  # noqa: E402

from smelt_repl.session_core import SessionStore  # noqa: E402

# Runs ``--list`` in this process and prints its peak RSS (KiB) to stderr: VmHWM, the high-water
# mark of this process's own memory since it started. (Not ru_maxrss: Linux carries that over
# exec from the image it replaces, a copy of the parent's, so it would report this bench.)
RSS_PROBE = ("import sys\nfrom smelt_repl.cli import main\ncode = main(['--list'])\n"
             "peak = [line for line in open('/proc/self/status') if line.startswith('VmHWM:')]\n"
             "print(peak[0].split()[1], file=sys.stderr)\nsys.exit(code)")


def env_for(state: Path) -> dict[str, str]:
    env = dict(os.environ, XDG_STATE_HOME=str(state), PYTHONPATH=str(HERE.parent))
    return env


def list_wall_ms(*states: Path, repeat: int = 7) -> list[float]:
    """Median wall time of a ``smelt-repl --list`` process (output to /dev/null) on each
    store of ``states``, their runs interleaved so that a change of load meets them alike."""
    samples: list[list[float]] = [[] for _ in states]
    for _ in range(repeat):
        for state, times in zip(states, samples, strict=True):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "smelt_repl", "--list"], env=env_for(state), check=True,
                           stdout=subprocess.DEVNULL)
            times.append((time.perf_counter() - start) * 1000)
    return [statistics.median(times) for times in samples]


def peak_rss_mib(state: Path) -> float:
    done = subprocess.run([sys.executable, "-c", RSS_PROBE], env=env_for(state), check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return int(done.stderr.split()[-1]) / 1024


def settle(root: Path) -> None:
    """Set the root's mtime an hour back, then list once (the catalog records it)."""
    old = time.time_ns() - 3600 * 10**9
    os.utime(root, ns=(old, old))
    SessionStore(root).list()


def cold_list_ms(root: Path, count: int) -> float:
    """Milliseconds of a listing that must rebuild the catalog from every session."""
    shutil.rmtree(root / ".catalog", ignore_errors=True)
    start = time.perf_counter()
    rows = SessionStore(root).list()
    elapsed = (time.perf_counter() - start) * 1000
    assert len(rows) == count
    return elapsed


FIRST_LIST_PROBE = ("import sys, time\nfrom smelt_repl.session_core import SessionStore\nstart = time.perf_counter()\n"
                    "rows = SessionStore(sys.argv[1]).list()\nprint((time.perf_counter() - start) * 1000, len(rows))")


def first_list_ms(root: Path) -> float:
    """Milliseconds of the first ``list()`` in a new process (its imports done before)."""
    done = subprocess.run([sys.executable, "-c", FIRST_LIST_PROBE, str(root)], env=env_for(root), check=True,
                          capture_output=True, text=True)
    return float(done.stdout.split()[0])


def bench_in_process(root: Path, ids: list[str]) -> None:
    per_session = statistics.median(cold_list_ms(root, len(ids)) for _ in range(3)) * 1000 / len(ids)
    report("cold catalog rebuild, per session (10k, median of 3)", per_session, "us", "<= 40 us", per_session <= 40)
    settle(root)
    first = statistics.median(first_list_ms(root) for _ in range(7))
    report("first list() of a process, 10k sessions", first, "ms", "<= 50 ms", first <= 50)
    again = time_ms(lambda: SessionStore(root).list(), repeat=7)
    report("list() of a new SessionStore, in a process that listed before", again, "ms")
    store = SessionStore(root)
    texts_ms = time_ms(lambda: store.texts(ids), repeat=3)
    report("texts() of 10k ids", texts_ms, "ms", "<= 1000 ms", texts_ms <= 1000)


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="smelt-bench-list-"))
    try:
        empty, big = base / "empty", base / "big"
        (empty / "smelt" / "sessions").mkdir(parents=True)
        root = big / "smelt" / "sessions"
        ids = build_store(root, 10_000)
        bench_in_process(root, ids)
        floor, at_10k = list_wall_ms(empty, big)
        report("--list, empty store (the floor)", floor, "ms")
        report("--list, 10k sessions", at_10k, "ms")
        report("--list 10k / empty", at_10k / floor, "x", "<= 1.5", at_10k / floor <= 1.5)
        build_store(root, 40_000, start=10_000, with_text=False)
        settle(root)
        floor, at_50k = list_wall_ms(empty, big)
        report("--list, 50k sessions", at_50k, "ms")
        report("--list 50k / empty", at_50k / floor, "x", "<= 3", at_50k / floor <= 3)
        rss = peak_rss_mib(big)
        report("--list 50k, peak RSS", rss, "MiB", "<= 80 MiB", rss <= 80)
        build_store(root, 1, start=50_000)  # a new session: this listing scans the root, rewrites the catalog
        rss = peak_rss_mib(big)
        report("--list 50k after a new session, peak RSS", rss, "MiB", "<= 80 MiB", rss <= 80)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
