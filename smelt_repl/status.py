"""The status line under the prompt: editing mode, model, context use, cost, activity.

On a narrow terminal the line leaves out its least important parts instead of being cut off.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smelt_repl.render.ansi import cell_width
from smelt_repl.turn_runner import CANCELLING, ENDING, STREAMING, WAITING

if TYPE_CHECKING:
    from prompt_toolkit.application import Application

SPINNER_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
MODEL, CONTEXT, COST = "class:status.model", "class:status.context", "class:status.cost"
ACTIVITY = "class:status.activity"
TITLE = "class:status.title"
TITLE_CELLS = 30  # a longer title is shown clipped
SEPARATOR = ("class:status.sep", "│")
_MODE_STYLES = {"INSERT": "class:status.mode", "EMACS": "class:status.mode",
                "NORMAL": "class:status.mode.normal"}


@dataclass(frozen=True)
class StatusFacts:
    """What the status line shows, gathered at draw time."""

    model: str
    mode: str  # INSERT, NORMAL, VISUAL, REPLACE or EMACS
    context_tokens: int | None
    context_window: int | None
    cost_usd: float
    activity: str = ""  # spinner, "streaming", hints
    title: str = ""  # the session's title, when it has one


def format_count(n: int | None) -> str:
    """Compact token count: 950, 1.2k, 128k, 1.5M ('-' when unknown)."""
    if n is None:
        return "-"
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        value, unit = n / 1000, "k"
    else:
        value, unit = n / 1_000_000, "M"
    text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    return text.removesuffix(".0") + unit


def context_text(tokens: int | None, window: int | None) -> str:
    """``ctx 1.2k/128k``; ``ctx -`` before the first model call."""
    if tokens is None:
        return "ctx -" if window is None else f"ctx -/{format_count(window)}"
    if window is None:
        return f"ctx {format_count(tokens)}"
    return f"ctx {format_count(tokens)}/{format_count(window)}"


def status_fragments(facts: StatusFacts, width: int | None = None) -> list[tuple[str, str]]:
    """The status line as prompt_toolkit style fragments, fitted to ``width`` cells if given
    (see ``fit_status``)."""
    parts = [
        (_MODE_STYLES.get(facts.mode, "class:status.mode.other"), f" {facts.mode} "),
        (MODEL, f" {facts.model} "),
        *([(TITLE, f" {_clipped(facts.title)} ")] if facts.title else []),
        (CONTEXT, f" {context_text(facts.context_tokens, facts.context_window)} "),
        (COST, f" ${facts.cost_usd:.4f} "),
    ]
    if facts.activity:
        parts.append((ACTIVITY, f" {facts.activity} "))
    fragments = _join(parts)
    return fragments if width is None else fit_status(fragments, width)


def fit_status(fragments: list[tuple[str, str]], width: int) -> list[tuple[str, str]]:
    """``status_fragments`` made to fit ``width`` cells by leaving parts out, never by cutting
    words: first the activity is shortened (trailing ``· ...`` parts, then words, down to its
    first words), then the title goes, then the cost, then the context, then the model's provider prefix, the
    model, and the activity. The editing mode always stays."""
    if width <= 0 or _cells(fragments) <= width:
        return fragments
    mode, *parts = [part for part in fragments if part[0] != SEPARATOR[0]]
    activity = next((text for style, text in parts if style == ACTIVITY), "")
    others = [part for part in parts if part[0] != ACTIVITY]
    bases = [others]
    for drop in (TITLE, COST, CONTEXT):
        others = [part for part in others if part[0] != drop]
        bases.append(others)
    model = next((text for style, text in others if style == MODEL), "")
    bases += [[(MODEL, f" {model.strip().rsplit('/', 1)[-1]} ")], []] if model else [[]]
    candidates = [[mode, *base, (ACTIVITY, text)] for base in bases for text in _shorter(activity)]
    candidates += [[mode, *base] for base in bases]
    for candidate in candidates:
        fitted = _join(candidate)
        if _cells(fitted) <= width:
            return fitted
    return [mode]


def _clipped(title: str) -> str:
    """The title on one line, clipped to ``TITLE_CELLS`` cells."""
    text = " ".join(title.split())
    while cell_width(text) > TITLE_CELLS:
        text = text[:-2] + "…"
    return text


def _join(parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The mode and the part after it side by side, a separator before each later part."""
    fragments: list[tuple[str, str]] = []
    for index, part in enumerate(parts):
        if index >= 2:
            fragments.append(SEPARATOR)
        fragments.append(part)
    return fragments


def _shorter(activity: str) -> list[str]:
    """Ever shorter forms of an activity text, longest first, each made of whole words."""
    text = activity.strip()
    if not text:
        return []
    segments = text.split(" · ")
    forms = [" · ".join(segments[:count]) for count in range(len(segments), 0, -1)]
    words = segments[0].split()
    forms += [" ".join(words[:count]) + "…" for count in range(len(words) - 1, min(2, len(words)) - 1, -1)]
    return [f" {form} " for form in forms if form.count("(") <= form.count(")")]  # no "(or…"


def _cells(fragments: list[tuple[str, str]]) -> int:
    return sum(cell_width(text) for _, text in fragments)


def status_text(facts: StatusFacts) -> str:
    """The status line as plain text (tests, logs)."""
    return "".join(text for _, text in status_fragments(facts))


def activity_text(phase: str | None, lua_running: bool, hint: str) -> str:
    """The activity part of the status line: a fresh ``hint`` (the answer to what the user just
    did), else what the turn is doing in ``phase`` (``turn_runner.*``)."""
    if hint:
        return hint
    if phase == WAITING:
        return f"{spinner_frame(int(time.monotonic() * 10))} waiting"
    if phase == STREAMING:
        return "streaming · Ctrl-C cancels"
    if phase == CANCELLING:
        return "cancelling"
    if phase == ENDING and lua_running:
        return "turn_end handlers run · Ctrl-C stops them"
    return ""


def spinner_frame(tick: int) -> str:
    """The spinner character for animation step ``tick``."""
    return SPINNER_FRAMES[tick % len(SPINNER_FRAMES)]


def mode_label(app: Application[Any]) -> str:
    """INSERT, NORMAL, VISUAL or REPLACE for vi bindings, EMACS otherwise."""
    from prompt_toolkit.enums import EditingMode
    from prompt_toolkit.key_binding.vi_state import InputMode

    if app.editing_mode != EditingMode.VI:
        return "EMACS"
    if app.current_buffer.selection_state is not None:
        return "VISUAL"
    state = app.vi_state
    if state.input_mode == InputMode.NAVIGATION or state.temporary_navigation_mode:
        return "NORMAL"
    if state.input_mode in (InputMode.REPLACE, InputMode.REPLACE_SINGLE):
        return "REPLACE"
    return "INSERT"
