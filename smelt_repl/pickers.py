"""Selection lists shown under the prompt: the rewind picker, questions, the sessions picker.

``Picker`` is the model (choices, selection, what picking does); ``layout.py`` draws it
and ``keybindings.py`` maps keys to its moves. One picker is open at a time; while it is
open it has the focus, and closing it gives the focus back to the prompt. A picker opened
with a ``SearchModel`` (``open_search``) has a query line: keys type into it and the model
decides the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Choice:
    """One row of a picker: what is shown and what picking it hands over."""

    label: str
    value: Any
    key: str | None = None  # a key that picks this row at once (y / n of a question)
    detail: str = ""  # a second, dimmed line under the label


class SearchModel(Protocol):
    """The rows of a picker with a query line (``session_picker.SessionPicker``)."""

    query: str
    choices: Sequence[Any]  # rows shaped as Choice: label, value, key, detail
    on_change: Callable[[bool], None]  # set by the Picker; True: a new list, select its top

    def title(self) -> str: ...
    def footer(self) -> str: ...
    def set_query(self, text: str) -> None: ...
    def toggle_scope(self) -> None: ...
    def delete(self, value: Any) -> None: ...
    def start(self) -> None: ...
    def close(self) -> None: ...


class Picker:
    """The open selection list, if any."""

    VISIBLE_ROWS = 10

    def __init__(self, on_open: Callable[[], None] = lambda: None,
                 on_close: Callable[[], None] = lambda: None,
                 on_change: Callable[[], None] = lambda: None) -> None:
        """``on_change``: the rows changed while open (from the UI thread): redraw."""
        self.on_open = on_open
        self.on_close = on_close
        self.on_change = on_change
        self.title = ""
        self.choices: Sequence[Choice] = []
        self.search: SearchModel | None = None
        self.index = 0
        self._on_pick: Callable[[Any], None] | None = None
        self._on_dismiss: Callable[[], None] | None = None

    @property
    def active(self) -> bool:
        """True while a list is shown."""
        return self._on_pick is not None

    def open(self, title: str, choices: list[Choice], on_pick: Callable[[Any], None],
             index: int = 0, on_dismiss: Callable[[], None] | None = None) -> None:
        """Show ``choices``; Enter calls ``on_pick(choice.value)`` after closing the list;
        closing it without a pick (Esc) calls ``on_dismiss``."""
        self._end_search()
        self.title, self.choices, self._on_pick = title, list(choices), on_pick
        self._on_dismiss = on_dismiss
        self.index = max(0, min(index, len(self.choices) - 1))
        self.on_open()

    def open_search(self, model: SearchModel, on_pick: Callable[[Any], None]) -> None:
        """Show ``model``'s rows under a query line; Enter calls ``on_pick(row.value)``."""
        self._end_search()
        self.search, self._on_pick, self._on_dismiss = model, on_pick, None
        model.on_change = self._search_changed
        model.start()
        self.on_open()

    def _search_changed(self, reset: bool) -> None:
        if self.search is None:
            return
        self.title, self.choices = self.search.title(), self.search.choices
        self.index = 0 if reset else max(0, min(self.index, len(self.choices) - 1))
        self.on_change()

    def _end_search(self) -> None:
        search, self.search = self.search, None
        if search is not None:
            search.on_change = lambda reset: None
            search.close()

    # -- the query line (a picker opened with open_search) --------------------------------

    def type_text(self, text: str) -> None:
        """Add typed characters to the query (control characters are ignored)."""
        if self.search is not None and text.isprintable():
            self.search.set_query(self.search.query + text)

    def erase_char(self) -> None:
        """Backspace in the query."""
        if self.search is not None and self.search.query:
            self.search.set_query(self.search.query[:-1])

    def erase_word(self) -> None:
        """Ctrl-W: delete the query's last word (and the blanks after it)."""
        if self.search is not None and self.search.query:
            kept = self.search.query.rstrip()
            self.search.set_query(kept[: len(kept) - len(kept.split()[-1])] if kept else "")

    def clear_query(self) -> None:
        """Ctrl-U: empty the query."""
        if self.search is not None and self.search.query:
            self.search.set_query("")

    def toggle_scope(self) -> None:
        """Ctrl-T: the search model's narrower scope (this directory) on or off."""
        if self.search is not None:
            self.search.toggle_scope()

    def delete_selected(self) -> None:
        """Ctrl-D: ask the search model to delete the selected row."""
        if self.search is not None and self.choices:
            self.search.delete(self.choices[self.index].value)

    def move(self, delta: int) -> None:
        """Move the selection by ``delta`` rows, stopping at the ends."""
        if self.choices:
            self.index = max(0, min(self.index + delta, len(self.choices) - 1))

    def move_to(self, index: int) -> None:
        """Select row ``index`` (negative counts from the end)."""
        if self.choices:
            self.index = index % len(self.choices)

    def pick(self) -> None:
        """Close the list and act on the selected choice."""
        on_pick = self._on_pick
        choice = self.choices[self.index] if self.choices else None
        self._on_dismiss = None
        self.close()
        if on_pick is not None and choice is not None:
            on_pick(choice.value)

    def pick_key(self, key: str) -> bool:
        """Pick the row whose ``key`` is ``key``; False when no row has it."""
        for index, choice in enumerate(self.choices):
            if choice.key == key:
                self.index = index
                self.pick()
                return True
        return False

    def close(self) -> None:
        """Close the list without picking."""
        if self._on_pick is not None:
            self._on_pick = None
            self._end_search()
            self.choices = []
            on_dismiss, self._on_dismiss = self._on_dismiss, None
            self.on_close()
            if on_dismiss is not None:
                on_dismiss()

    def visible(self) -> tuple[int, list[Choice]]:
        """The first shown row's index and the rows that fit, keeping the selection in view."""
        rows = self.VISIBLE_ROWS
        start = max(0, min(self.index - rows // 2, len(self.choices) - rows))
        return start, self.choices[start : start + rows]

    def fragments(self) -> list[tuple[str, str]]:
        """The list as prompt_toolkit style fragments: title, query line, rows, position."""
        start, rows = self.visible()
        out: list[tuple[str, str]] = [("class:picker.title", f" {self.title}\n")]
        if self.search is not None:
            out += [("class:picker.query", f" filter: {self.search.query}"), ("class:picker.cursor", " "),
                    ("", "\n")]
            if not self.choices:
                out.append(("class:picker.title", "   (no match)\n"))
        for offset, choice in enumerate(rows):
            selected = start + offset == self.index
            style = "class:picker.selected" if selected else "class:picker"
            out.append((style, f"{'›' if selected else ' '} {choice.label}\n"))
            if choice.detail:
                out.append(("class:picker.detail", f"      ↳ {choice.detail}\n"))
        position = f" {self.index + 1}/{len(self.choices)}" if len(self.choices) > len(rows) else ""
        footer = f"   {self.search.footer()}" if self.search is not None else ""
        if position or footer:
            out.append(("class:picker.title", position + footer))
        elif out:
            out[-1] = (out[-1][0], out[-1][1].rstrip("\n"))
        return out


def turn_choices(turns: Iterable[Any]) -> list[Choice]:
    """Rewind picker rows: ``N  label`` for each user turn, N counted from 1."""
    return [Choice(f"{n:>3}  {turn.label}", turn.block_idx) for n, turn in enumerate(turns, 1)]
