"""Full-text search of session bodies for the sessions picker, on a worker thread.

The texts (``SessionStore.texts``: each session's content.txt) are loaded on the worker the
first time a query needs them and kept for the searcher's lifetime. Each search has a
generation number; a newer search (the next keystroke) supersedes an older one, which stops
at its next check. Matches are handed over in batches through ``post`` (a function that runs
a callable on the UI thread), so the open list grows while the search runs.

The worker gives way to the UI thread: while a keystroke is filtered (``ui_busy``) it waits,
which it checks between small batches of texts loaded or scanned; two threads busy in Python
would otherwise share the interpreter lock and each keystroke would take twice as long.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from smelt_repl.listing import escape_controls

BATCH_SECONDS = 0.03  # how often found matches are handed to the UI
CHECK_EVERY = 256  # texts scanned between two looks at whether the search is still wanted
LOAD_BATCH = 64  # texts loaded between two such looks (about 5 ms of reading)
LINE_LIMIT = 100  # characters of a matching line shown
LEAD = 30  # characters kept before the match when the line is cut

Found = list[tuple[str, str]]  # (session id, its matching line)
Deliver = Callable[[int, Found, bool], None]  # (generation, matches, search finished)


@dataclass(frozen=True)
class _Job:
    generation: int
    query: str
    ids: Sequence[str]
    deliver: Deliver


class BodySearch:
    """Searches session texts for a plain (case-insensitive) substring, off the UI thread."""

    def __init__(self, texts: Callable[[list[str]], dict[str, str]], post: Callable[[Callable[[], None]], None]):
        """``texts`` loads the texts of some ids (``SessionStore.texts``); ``post`` runs a
        callable on the UI thread."""
        self._load_texts = texts
        self._post = post
        self._texts: dict[str, tuple[str, str] | None] = {}  # id -> (text, lowered); None: no text
        self._load_lock = threading.Lock()
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._ui_idle = threading.Event()
        self._ui_idle.set()
        self.generation = 0
        self.loading = False  # the worker is reading texts

    @contextmanager
    def ui_busy(self) -> Iterator[None]:
        """While inside, the worker pauses at its next check (the UI thread filters a keystroke)."""
        self._ui_idle.clear()
        try:
            yield
        finally:
            self._ui_idle.set()

    def search(self, query: str, ids: Sequence[str], deliver: Deliver) -> int:
        """Start searching the texts of ``ids`` for ``query``, superseding any search before;
        returns the search's generation (``deliver`` gets it back with each batch)."""
        self.generation += 1
        self._jobs.put(_Job(self.generation, query.lower(), list(ids), deliver))
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="session-body-search", daemon=True)
            self._thread.start()
        return self.generation

    def cancel(self) -> None:
        """Abandon the running search, if any."""
        self.generation += 1

    def stop(self) -> None:
        """Abandon the running search and let the worker thread end (the cache stays)."""
        self.cancel()
        self._jobs.put(None)
        self._thread = None

    def forget(self, session_id: str) -> None:
        """Drop a session's cached text (it was deleted)."""
        self._texts.pop(session_id, None)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            while job is not None and not self._jobs.empty():  # only the newest search matters
                job = self._jobs.get_nowait()
            if job is None:
                return
            if job.generation == self.generation:
                self._scan(job)

    def _wanted(self, job: _Job) -> bool:
        """Wait while the UI thread is busy; False once a newer search superseded ``job``."""
        self._ui_idle.wait()
        return job.generation == self.generation

    def _scan(self, job: _Job) -> None:
        if not self._ensure_loaded(job):
            return
        found: Found = []
        sent = time.monotonic()
        for count, session_id in enumerate(job.ids):
            if count % CHECK_EVERY == 0 and not self._wanted(job):
                return
            entry = self._texts.get(session_id)
            if entry is None:
                continue
            at = entry[1].find(job.query)
            if at >= 0:
                found.append((session_id, matching_line(entry[0], entry[1], at)))
            if found and time.monotonic() - sent > BATCH_SECONDS:
                self._hand_over(job, found, False)
                found, sent = [], time.monotonic()
        self._hand_over(job, found, True)

    def _hand_over(self, job: _Job, found: Found, done: bool) -> None:
        if job.generation == self.generation:
            self._post(lambda: job.deliver(job.generation, found, done))

    def _ensure_loaded(self, job: _Job) -> bool:
        """Load the texts of ``job``'s ids not loaded yet, a batch at a time; False when the
        job was superseded meanwhile (what was loaded stays)."""
        with self._load_lock:
            missing = [session_id for session_id in job.ids if session_id not in self._texts]
            self.loading = bool(missing)
            try:
                for start in range(0, len(missing), LOAD_BATCH):
                    if not self._wanted(job):
                        return False
                    self._load(missing[start : start + LOAD_BATCH])
                return True
            finally:
                self.loading = False

    def _load(self, batch: list[str]) -> None:
        try:
            loaded = self._load_texts(batch)
        except Exception:  # a store error leaves those sessions unsearchable, not the picker broken
            loaded = {}
        for session_id in batch:
            text = loaded.get(session_id)
            self._texts[session_id] = (text, text.lower()) if isinstance(text, str) else None


def matching_line(text: str, lowered: str, at: int) -> str:
    """The line of ``text`` holding the match at ``at`` of ``lowered`` (its lowercased form),
    cut to LINE_LIMIT characters around the match, controls escaped."""
    number = lowered.count("\n", 0, at)  # lowercasing keeps the line breaks where they were
    lines = text.split("\n", number + 1)
    line = lines[number] if number < len(lines) else ""
    column = at - (lowered.rfind("\n", 0, at) + 1)
    if len(line) > LINE_LIMIT:
        start = max(0, min(column - LEAD, len(line) - LINE_LIMIT))
        end = start + LINE_LIMIT
        line = ("…" if start else "") + line[start:end] + ("…" if end < len(line) else "")
    return escape_controls(line.strip())
