"""The ``:sessions`` picker's model: the saved sessions, a typed query that filters them, and
the "this directory only" scope.

With no query the sessions show as a tree of forks (``session_tree``); a query ranks them by
a fuzzy match (``session_match.py``) on title and first message at once, and a full-text search of
their bodies (``body_search.py``) appends, as it finds them, the sessions that match only
there, each with its matching line. Labels (and the probe of whether another process has a
session open) are made only for the rows drawn. The model is used on the UI thread; the body
search hands its results over through ``post``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import overload

from smelt_repl.body_search import BodySearch, Found
from smelt_repl.listing import format_session_row
from smelt_repl.session_core import SessionStore
from smelt_repl.session_core.lock import held_elsewhere
from smelt_repl.session_match import Haystack, RowIndex, haystack
from smelt_repl.session_tree import session_tree

CURRENT_MARK, ELSEWHERE_MARK, NO_MARK = "● ", "○ ", "  "


class SessionRow:
    """One row of the picker (a ``pickers.Choice`` in shape); its label is made when drawn."""

    __slots__ = ("row", "prefix", "detail", "_marker", "_label")
    key = None

    def __init__(self, row: dict, marker: Callable[[str], str], prefix: str = "", detail: str = "") -> None:
        self.row, self.prefix, self.detail, self._marker = row, prefix, detail, marker
        self._label: str | None = None

    @property
    def value(self) -> str:
        """The session id (what picking the row loads)."""
        return self.row["id"]

    @property
    def label(self) -> str:
        """Mark, then the row as ``--list`` shows it, the tree prefix before the title."""
        if self._label is None:
            self._label = self._marker(self.row["id"]) + format_session_row(self.row, self.prefix)
        return self._label


class LazyRows(Sequence[SessionRow]):
    """The picker's rows as a sequence of SessionRow, each made the first time it is looked
    at (a query that matches 10,000 sessions makes only the rows drawn)."""

    def __init__(self, rows: list[dict], marker: Callable[[str], str]) -> None:
        self._rows, self._marker = rows, marker
        self._details: dict[int, str] = {}
        self._made: dict[int, SessionRow] = {}

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> SessionRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[SessionRow]: ...

    def __getitem__(self, index: int | slice) -> SessionRow | list[SessionRow]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._rows)))]
        index = range(len(self._rows))[index]  # negative counts from the end; IndexError past it
        made = self._made.get(index)
        if made is None:
            row = self._rows[index]
            made = self._made[index] = SessionRow(row, self._marker, row.get("tree_prefix", ""),
                                                  self._details.get(index, ""))
        return made

    def add(self, row: dict, detail: str) -> None:
        """Append a row drawn with ``detail`` under it (a body match)."""
        self._details[len(self._rows)] = detail
        self._rows.append(row)


class SessionPicker:
    """Saved sessions filtered by a query, for ``pickers.Picker.open_search``."""

    def __init__(self, store: SessionStore, current_id: str, cwd: str,
                 post: Callable[[Callable[[], None]], None]) -> None:
        """``post`` runs a callable on the UI thread (the body search's results come that way)."""
        self.store, self.current_id, self.cwd = store, current_id, cwd
        self.query = ""
        self.this_dir_only = False
        self.searching = False  # a body search is running for the query shown
        self.choices: LazyRows = LazyRows([], self.mark)
        self.on_change: Callable[[bool], None] = lambda reset: None  # set by the Picker
        self.on_delete: Callable[[str], None] = lambda session_id: None  # set by the command
        self._body = BodySearch(lambda ids: store.texts(ids), post)
        self._haystacks: dict[str, Haystack] = {}
        self._last: tuple[str, bool, Sequence[int]] | None = None  # query, scope, its matches (row order)
        self.reload()

    # -- what the picker asks -----------------------------------------------------------------

    def title(self) -> str:
        """The title line: the scope and the keys (short enough for an 80-column terminal)."""
        scope, other = ("this directory", "all dirs") if self.this_dir_only else ("all directories", "this dir")
        return f"sessions [{scope}]  Enter load · ^T {other} · ^D delete · Esc close"

    def footer(self) -> str:
        """Under the rows: the marks' meaning and whether the text search still runs."""
        busy = "  searching text…" if self.searching else ""
        return f"{CURRENT_MARK}this session  {ELSEWHERE_MARK}open in another process{busy}"

    @property
    def loading_texts(self) -> bool:
        """True while the body search reads sessions' texts (the first searches of a process)."""
        return self._body.loading

    def has_other_sessions(self) -> bool:
        """True when a saved session other than the current one exists."""
        return any(row["id"] != self.current_id for row in self.rows)

    def set_query(self, text: str) -> None:
        """Filter by ``text``: the metadata matches at once, body matches as they are found."""
        self.query = text
        with self._body.ui_busy():
            self._refilter()

    def toggle_scope(self) -> None:
        """Switch between all sessions and those started in this directory."""
        self.this_dir_only = not self.this_dir_only
        self._scoped = None
        with self._body.ui_busy():
            self._refilter()

    def delete(self, session_id: str) -> None:
        """Ctrl-D on a row: the command's delete flow (a y/N question) takes over."""
        self.on_delete(session_id)

    def reload(self) -> None:
        """Read the sessions again (after a delete); ``start`` shows them."""
        self.rows = self.store.list()
        kept = {row["id"] for row in self.rows}
        for session_id in [key for key in self._haystacks if key not in kept]:
            self._haystacks.pop(session_id)
            self._body.forget(session_id)
        self._by_id = {row["id"]: row for row in self.rows}
        self._scoped: list[dict] | None = None
        self._trees: dict[bool, LazyRows] = {}  # per scope
        self._indexes: dict[bool, RowIndex] = {}  # per scope, made by the first query
        self._last = None

    def start(self) -> None:
        """The picker opened (again): search the bodies for the query it shows. The rows'
        haystacks are made now, not on the first keystroke."""
        self._row_index()
        self._refilter()

    def close(self) -> None:
        """The picker closed: stop the body search (the loaded texts stay cached)."""
        self.searching = False
        self._body.stop()

    # -- filtering ----------------------------------------------------------------------------

    def _refilter(self) -> None:
        if not self.query:
            self._body.cancel()
            self.searching = False
            self.choices = self._tree_rows()
        else:
            index = self._row_index()
            ranked, matched = self._metadata_matches(index, self.query.lower())
            self.choices = LazyRows(list(map(index.rows.__getitem__, ranked)), self.mark)
            self._search_bodies(index, matched)
        self.on_change(True)

    def _scope(self) -> list[dict]:
        if self._scoped is None:
            self._scoped = [row for row in self.rows if row.get("cwd") == self.cwd] if self.this_dir_only else self.rows
        return self._scoped

    def _tree_rows(self) -> LazyRows:
        tree = self._trees.get(self.this_dir_only)
        if tree is None:
            tree = self._trees[self.this_dir_only] = LazyRows(fork_tree(self._scope()), self.mark)
        return tree

    def _row_index(self) -> RowIndex:
        index = self._indexes.get(self.this_dir_only)
        if index is None:
            known = self._haystacks
            rows = self._scope()
            haystacks = [known.get(row["id"]) or known.setdefault(row["id"], haystack(row)) for row in rows]
            index = self._indexes[self.this_dir_only] = RowIndex(rows, haystacks)
        return index

    def _metadata_matches(self, index: RowIndex, query: str) -> tuple[Sequence[int], Sequence[int]]:
        """The rows whose title or first message matches, best first and in row order. A
        query that extends the last one only looks among the last one's matches."""
        last = self._last
        extends = last is not None and last[1] == self.this_dir_only and query.startswith(last[0])
        ranked, matched = index.rank(query, last[2] if extends and last is not None else None)
        self._last = (query, self.this_dir_only, matched)
        return ranked, matched

    def _search_bodies(self, index: RowIndex, matched: Sequence[int]) -> None:
        """Search the bodies of the rows in scope that ``matched`` (their indexes) leaves out."""
        rows = index.rows
        if len(matched) == len(rows):
            rest = []
        else:
            shown = set(matched)
            rest = [rows[i]["id"] for i in range(len(rows)) if i not in shown]
        self.searching = bool(rest)
        if rest:
            self._body.search(self.query, rest, self._receive)
        else:
            self._body.cancel()

    def _receive(self, generation: int, found: Found, done: bool) -> None:
        """Body matches of search ``generation`` (on the UI thread); stale ones are dropped."""
        if generation != self._body.generation:
            return
        for session_id, line in found:
            if session_id in self._by_id:
                self.choices.add(self._by_id[session_id], line)
        self.searching = not done
        self.on_change(False)

    # -- marks --------------------------------------------------------------------------------

    def mark(self, session_id: str) -> str:
        """The mark column of a row: this session, open in another process, or blank."""
        if session_id == self.current_id:
            return CURRENT_MARK
        return ELSEWHERE_MARK if held_elsewhere(self.store.root / session_id) else NO_MARK


def fork_tree(rows: list[dict]) -> list[dict]:
    """``rows`` (newest first) in ``session_tree`` order, the sessions of fork families with its
    ``tree_prefix``. Only those families go through ``session_tree``: a session with no fork
    relation is a family of one, placed by its own time, so 10,000 rows stay cheap."""
    ids = {row["id"] for row in rows}
    parents = ids.intersection(row.get("parent_id") for row in rows)
    linked = [row for row in rows if row["id"] in parents or row.get("parent_id") in ids]
    if not linked:
        return rows
    families: list[list[dict]] = []
    for row in session_tree(linked):
        if row["depth"] == 0:
            families.append([row])
        else:
            families[-1].append(row)
    linked_ids = {row["id"] for row in linked}
    singles = ([row] for row in rows if row["id"] not in linked_ids)
    by_newest = heapq.merge(families, singles, key=lambda family: max(map(_updated, family)), reverse=True)
    return [row for family in by_newest for row in family]


def _updated(row: dict) -> int:
    value = row.get("updated_at_ms")
    return value if isinstance(value, int) else 0
