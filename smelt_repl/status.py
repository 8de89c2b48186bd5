"""The status line under the prompt: model, editing mode, context use, cost, activity."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smelt_repl.turn_runner import CANCELLING, ENDING, STREAMING, WAITING

if TYPE_CHECKING:
    from prompt_toolkit.application import Application

SPINNER_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
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


def status_fragments(facts: StatusFacts) -> list[tuple[str, str]]:
    """The status line as prompt_toolkit style fragments."""
    parts: list[tuple[str, str]] = [
        (_MODE_STYLES.get(facts.mode, "class:status.mode.other"), f" {facts.mode} "),
        ("class:status", f" {facts.model} "),
        ("class:status.sep", "│"),
        ("class:status", f" {context_text(facts.context_tokens, facts.context_window)} "),
        ("class:status.sep", "│"),
        ("class:status", f" ${facts.cost_usd:.4f} "),
    ]
    if facts.activity:
        parts += [("class:status.sep", "│"), ("class:status.activity", f" {facts.activity} ")]
    return parts


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
