"""The ``:sessions`` picker on 10,000 sessions: opening it, and filtering per keystroke.

Measured through the real code path: ``SessionPicker`` (listing, tree, filtering, the body
search worker) in a ``Picker`` and the fragments the layout draws. Building the store is
not timed. Run: ``python bench/bench_picker.py`` (~1 minute, mostly building the store).
"""

from __future__ import annotations

import shutil
import statistics
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

QUERIES = ("frob widget", "answer 42", "question 9999")  # typed a key at a time
CWD = "/project/7"  # populate's sessions are spread over /project/0 .. /project/49


class UiLoop:
    """Stands in for the UI loop: what the body search posts runs between two keystrokes."""

    def __init__(self) -> None:
        self.pending: list[Callable[[], None]] = []

    def post(self, operation: Callable[[], None]) -> None:
        self.pending.append(operation)

    def run_pending(self) -> None:
        while self.pending:
            self.pending.pop(0)()


def open_picker(root: Path, loop: UiLoop) -> Picker:
    """What ``:sessions`` does on a store object not listed yet: model, picker, first draw."""
    model = SessionPicker(SessionStore(root), "0" * 64, CWD, loop.post)
    picker = Picker()
    picker.open_search(model, lambda value: None)
    picker.fragments()
    return picker


def keystrokes(picker: Picker, loop: UiLoop) -> list[float]:
    """Milliseconds of each keystroke (query edit, metadata filter, redraw) of QUERIES."""
    samples = []
    for query in QUERIES:
        for ch in query:
            start = time.perf_counter()
            picker.type_text(ch)
            picker.fragments()
            samples.append((time.perf_counter() - start) * 1000)
            loop.run_pending()
        start = time.perf_counter()
        picker.clear_query()
        picker.fragments()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


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
        root = base / "sessions"
        populate(root, N_SESSIONS)
        SessionStore(root).list()  # the catalog file exists, as after any earlier run
        loop = UiLoop()
        opened = time_ms(lambda: open_picker(root, loop).close(), repeat=5)
        report(":sessions picker open, 10k sessions", opened, "ms", "<= 150 ms", opened <= 150)
        picker = open_picker(root, loop)
        first = body_search_ms(picker, loop, "frobnicator")
        report("body search, first query (loads 10k texts)", first, "ms")
        again = body_search_ms(picker, loop, "answer 123")
        report("body search, next query (texts cached)", again, "ms")
        picker.clear_query()
        samples = keystrokes(picker, loop)
        median, worst = statistics.median(samples), max(samples)
        report("keystroke: filter + redraw, median", median, "ms", "<= 50 ms", median <= 50)
        report("keystroke: filter + redraw, worst", worst, "ms", "<= 50 ms", worst <= 50)
        picker.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
