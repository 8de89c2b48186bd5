"""The ``:sessions`` picker on 10,000 sessions: opening it, and filtering per keystroke.

Measured through the real code path: ``SessionPicker`` (listing, tree, filtering, the body
search worker) in a ``Picker`` and the fragments the layout draws. Building the store is
not timed. Run: ``python bench/bench_picker.py`` (~1 minute, mostly building the store;
``SMELT_BENCH_SESSIONS=DIR`` reuses a store built there before).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sessions import N_SESSIONS, populate  # noqa: E402
from common import report, time_ms  # noqa: E402

from smelt_repl.pickers import Picker  # noqa: E402
from smelt_repl.session_core import SessionStore  # noqa: E402
from smelt_repl.session_picker import SessionPicker  # noqa: E402

CWD = "/project/7"  # populate's sessions are spread over /project/0 .. /project/49
TYPIST_GAP = 0.05  # seconds between two keystrokes; the body search runs meanwhile
BACKSPACE, CTRL_U = "\x7f", "\x15"
# Typed into a freshly opened picker, a key at a time. Every title holds "question N: how do I
# frobnicate the widget?", so "frob w" matches all 10,000 rows at each key; "an" matches none
# and starts the body search, whose first run loads the 10,000 texts while "sw" is typed.
KEYS = ("frob w", BACKSPACE, CTRL_U, "q", CTRL_U, "answ", BACKSPACE, CTRL_U, "question 9999", BACKSPACE)
OPEN_IN_NEW_PROCESS = """
import sys, time
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
from pathlib import Path
from bench_picker import UiLoop, open_picker
from smelt_repl.session_core import SessionStore
store = SessionStore(Path({sessions!r}))
if {listed}:
    store.list()
start = time.perf_counter()
open_picker(store, UiLoop())
print((time.perf_counter() - start) * 1000)
"""


class UiLoop:
    """Stands in for the UI loop: what the body search posts runs between two keystrokes."""

    def __init__(self) -> None:
        self.pending: list[Callable[[], None]] = []

    def post(self, operation: Callable[[], None]) -> None:
        self.pending.append(operation)

    def run_pending(self) -> None:
        while self.pending:
            self.pending.pop(0)()


def open_picker(store: SessionStore, loop: UiLoop) -> Picker:
    """What ``:sessions`` does: model (it lists the store), picker, first draw."""
    model = SessionPicker(store, "0" * 64, CWD, loop.post)
    picker = Picker()
    picker.open_search(model, lambda value: None)
    picker.fragments()
    return picker


def press(picker: Picker, key: str) -> None:
    """One key of KEYS as the picker's bindings handle it."""
    if key == BACKSPACE:
        picker.erase_char()
    elif key == CTRL_U:
        picker.clear_query()
    else:
        picker.type_text(key)


def keystrokes(picker: Picker, loop: UiLoop) -> list[tuple[float, str]]:
    """(milliseconds, what was typed) of each key of KEYS: query edit, filter, redraw."""
    samples = []
    for keys in KEYS:
        for key in keys if keys not in (BACKSPACE, CTRL_U) else (keys,):
            before = picker.search.query if picker.search is not None else ""
            loading = bool(getattr(picker.search, "loading_texts", False))
            start = time.perf_counter()
            press(picker, key)
            picker.fragments()
            elapsed = (time.perf_counter() - start) * 1000
            name = {BACKSPACE: "Backspace", CTRL_U: "Ctrl-U"}.get(key, repr(key))
            samples.append((elapsed, f"{name} on {before!r}" + (" (texts loading)" if loading else "")))
            deadline = time.monotonic() + TYPIST_GAP
            while time.monotonic() < deadline:
                loop.run_pending()
                time.sleep(0.005)
    return samples


def open_in_new_process(root: Path, listed: bool) -> float:
    """Milliseconds of the first ``:sessions`` of a new process (imports not counted); ``listed``:
    the app had listed its store before."""
    code = OPEN_IN_NEW_PROCESS.format(root=str(Path(__file__).resolve().parent.parent),
                                      bench=str(Path(__file__).resolve().parent), sessions=str(root),
                                      listed=listed)
    runs = [float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                 text=True).stdout) for _ in range(3)]
    return statistics.median(runs)


def body_search_ms(picker: Picker, loop: UiLoop, query: str) -> float:
    """Time until the body search of ``query`` has handed over all its matches."""
    search = picker.search
    assert search is not None
    start = time.perf_counter()
    search.set_query(query)
    while True:
        loop.run_pending()
        if not search.searching:  # type: ignore[attr-defined]
            return (time.perf_counter() - start) * 1000
        time.sleep(0.001)


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="smelt-bench-picker-"))
    try:
        root = Path(os.environ.get("SMELT_BENCH_SESSIONS", base / "sessions"))  # reuse a populated store
        if not root.exists():
            populate(root, N_SESSIONS)
        SessionStore(root).list()  # the catalog file exists, as after any earlier run
        for listed, how in ((False, "store not listed yet"), (True, "store listed before")):
            ms = open_in_new_process(root, listed)
            report(f":sessions open, new process, {how}", ms, "ms", "<= 150 ms", ms <= 150)
        loop = UiLoop()
        opened = time_ms(lambda: open_picker(SessionStore(root), loop).close(), repeat=5)
        report(":sessions open again in the same process", opened, "ms", "<= 150 ms", opened <= 150)
        picker = open_picker(SessionStore(root), loop)
        samples = keystrokes(picker, loop)
        picker.close()
        median = statistics.median(ms for ms, _ in samples)
        worst = max(ms for ms, _ in samples)
        report(f"keystroke: filter + redraw, median of {len(samples)}", median, "ms", "<= 50 ms", median <= 50)
        report("keystroke: filter + redraw, worst", worst, "ms", "<= 50 ms", worst <= 50)
        print("  slowest keys: " + ", ".join(f"{key} {ms:.1f} ms" for ms, key in sorted(samples)[::-1][:3]))
        print("  while texts load: " + ", ".join(f"{key} {ms:.1f} ms" for ms, key in samples if "loading" in key))
        picker = open_picker(SessionStore(root), loop)
        first = body_search_ms(picker, loop, "frobnicator")
        report("body search, first query (loads 10k texts)", first, "ms")
        again = body_search_ms(picker, loop, "answer 123")
        report("body search, next query (texts cached)", again, "ms")
        picker.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
