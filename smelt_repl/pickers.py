"""Selection lists shown under the prompt: the rewind picker and the sessions picker.

``Picker`` is the model (choices, selection, what picking does); ``layout.py`` draws it
and ``keybindings.py`` maps keys to its moves. One picker is open at a time; while it is
open it has the focus, and closing it gives the focus back to the prompt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from smelt_repl.listing import format_session_row


@dataclass(frozen=True)
class Choice:
    """One row of a picker: what is shown and what picking it hands over."""

    label: str
    value: Any
    key: str | None = None  # a key that picks this row at once (y / n of a question)


class Picker:
    """The open selection list, if any."""

    VISIBLE_ROWS = 10

    def __init__(self, on_open: Callable[[], None] = lambda: None,
                 on_close: Callable[[], None] = lambda: None) -> None:
        self.on_open = on_open
        self.on_close = on_close
        self.title = ""
        self.choices: list[Choice] = []
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
        self.title, self.choices, self._on_pick = title, list(choices), on_pick
        self._on_dismiss = on_dismiss
        self.index = max(0, min(index, len(self.choices) - 1))
        self.on_open()

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
        """The list as prompt_toolkit style fragments: title, rows, position."""
        start, rows = self.visible()
        out: list[tuple[str, str]] = [("class:picker.title", f" {self.title}\n")]
        for offset, choice in enumerate(rows):
            selected = start + offset == self.index
            style = "class:picker.selected" if selected else "class:picker"
            out.append((style, f"{'›' if selected else ' '} {choice.label}\n"))
        if len(self.choices) > len(rows):
            out.append(("class:picker.title", f" {self.index + 1}/{len(self.choices)}"))
        elif out:
            out[-1] = (out[-1][0], out[-1][1].rstrip("\n"))
        return out


def turn_choices(turns: Iterable[Any]) -> list[Choice]:
    """Rewind picker rows: ``N  label`` for each user turn, N counted from 1."""
    return [Choice(f"{n:>3}  {turn.label}", turn.block_idx) for n, turn in enumerate(turns, 1)]


def session_choices(rows: Iterable[dict]) -> list[Choice]:
    """Sessions picker rows, formatted as ``--list`` prints them."""
    return [Choice(format_session_row(row), row["id"]) for row in rows]
