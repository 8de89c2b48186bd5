"""The shell's screen below the scrollback: prompt, completion menu, the Vim command line,
picker, status line.

Everything above the prompt is ordinary terminal scrollback (see ``scrollback.py``); this
layout is only the few live rows at the bottom, so the application is not full-screen. It
stays a row shorter than the terminal: once output has pushed it to the bottom it never
reaches the top row, where the erase before printing (see ``screen_erase.py``) would make
tmux keep a stale copy of the prompt in its history. Long pastes show folded (``paste.py``);
the status line leaves parts out to fit its width.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prompt_toolkit.application import get_app
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.layout import (
    ConditionalContainer,
    Float,
    FloatContainer,
    HSplit,
    Layout,
    Window,
)
from prompt_toolkit.layout.containers import Container, to_container
from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl, UIContent, UIControl
from prompt_toolkit.layout.dimension import Dimension
from prompt_toolkit.layout.menus import CompletionsMenu
from prompt_toolkit.layout.processors import BeforeInput
from prompt_toolkit.styles import Style
from prompt_toolkit.widgets import SearchToolbar

from smelt_repl.command_line import CommandLine
from smelt_repl.paste import FoldingBufferControl, PastedSpans
from smelt_repl.pickers import Picker
from smelt_repl.status import fit_status

PROMPT = "› "
MENU_ROWS = 8

STYLE = Style.from_dict({
    "prompt": "bold ansicyan",
    "status": "bg:#303030 #c0c0c0",
    "status.sep": "bg:#303030 #606060",
    "status.mode": "bold bg:#5f8700 #ffffff",
    "status.mode.normal": "bold bg:#005f87 #ffffff",
    "status.mode.other": "bold bg:#875f00 #ffffff",
    "status.activity": "bg:#303030 ansiyellow",
    "status.title": "bg:#303030 italic #e0e0e0",
    "picker": "",
    "picker.title": "#808080",
    "picker.selected": "reverse",
    "picker.query": "bold",
    "picker.cursor": "reverse",
    "picker.detail": "italic #808080",
    "paste": "italic #87afd7",
})


@dataclass
class ShellLayout:
    """The layout, the windows the shell moves the focus between, and the prompt's pastes."""

    layout: Layout
    input_window: Window
    picker_window: Window
    command_window: Window
    pastes: PastedSpans


def build_layout(buffer: Buffer, picker: Picker, picker_keys: KeyBindings,
                 status: Callable[[], StyleAndTextTuples], command_line: CommandLine,
                 command_keys: KeyBindings) -> ShellLayout:
    """Prompt (with vi search, completions and folded pastes), the Vim command line and the
    picker when open, the status line."""
    search = SearchToolbar(vi_mode=True)
    pastes = PastedSpans(buffer)
    input_window = Window(
        FoldingBufferControl(buffer, pastes, search_buffer_control=search.control, preview_search=True),
        get_line_prefix=_line_prefix,
        wrap_lines=True,
        dont_extend_height=True,
    )
    menu = Float(xcursor=True, ycursor=True, transparent=True,
                 content=CompletionsMenu(max_height=MENU_ROWS, scroll_offset=1))
    picker_window = Window(
        FormattedTextControl(picker.fragments, focusable=True, key_bindings=picker_keys, show_cursor=False),
        dont_extend_height=True,
    )
    command_window = Window(BufferControl(command_line.buffer, key_bindings=command_keys,
                                          input_processors=[BeforeInput(lambda: command_line.prefix,
                                                                        style="class:prompt")]),
                            height=1)
    below: list[Container] = [
        to_container(search),
        ConditionalContainer(command_window, filter=Condition(lambda: command_line.active)),
        ConditionalContainer(picker_window, filter=Condition(lambda: picker.active)),
        Window(StatusControl(status), height=1, style="class:status"),
    ]
    input_window.height = lambda: _prompt_height(buffer, below)
    body = HSplit([
        FloatContainer(HSplit([input_window, *below[:2]]), floats=[menu]),
        *below[2:],
    ])
    return ShellLayout(Layout(body, focused_element=input_window), input_window, picker_window, command_window,
                       pastes)


class StatusControl(UIControl):
    """The status line, fitted to the width it is drawn at (``status.fit_status``)."""

    def __init__(self, status: Callable[[], StyleAndTextTuples]) -> None:
        self.status = status

    def create_content(self, width: int, height: int) -> UIContent:
        fragments = fit_status(list(self.status()), width)  # type: ignore[arg-type]
        return UIContent(get_line=lambda row: fragments, line_count=1)  # type: ignore[arg-type,return-value]


def _prompt_height(buffer: Buffer, below: list[Container]) -> Dimension:
    """As tall as its text, but short enough that the layout leaves the terminal a free row."""
    size = get_app().output.get_size()
    taken = sum(part.preferred_height(size.columns, size.rows).preferred for part in below)
    room = max(1, size.rows - 1 - taken)
    return Dimension(min=min(MENU_ROWS, room) if buffer.complete_state else 0, max=room)


def _line_prefix(line_number: int, wrap_count: int) -> StyleAndTextTuples:
    if line_number == 0 and wrap_count == 0:
        return [("class:prompt", PROMPT)]
    return [("", " " * len(PROMPT))]
