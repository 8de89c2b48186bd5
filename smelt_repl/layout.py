"""The shell's screen below the scrollback: prompt, completion menu, the Vim command line,
picker, status line.

Everything above the prompt is ordinary terminal scrollback (see ``scrollback.py``); this
layout is only the few live rows at the bottom, so the application is not full-screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
from prompt_toolkit.layout.dimension import Dimension
from prompt_toolkit.layout.menus import CompletionsMenu
from prompt_toolkit.styles import Style
from prompt_toolkit.widgets import SearchToolbar

from smelt_repl.command_line import CommandLine
from smelt_repl.pickers import Picker

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
    "picker": "",
    "picker.title": "#808080",
    "picker.selected": "reverse",
})


@dataclass
class ShellLayout:
    """The layout and the windows the shell moves the focus between."""

    layout: Layout
    input_window: Window
    picker_window: Window
    command_window: Window


def build_layout(buffer: Buffer, picker: Picker, picker_keys: KeyBindings,
                 status: Callable[[], StyleAndTextTuples], command_line: CommandLine,
                 command_keys: KeyBindings) -> ShellLayout:
    """Prompt (with vi search and completions), the Vim command line and the picker when
    open, the status line."""
    search = SearchToolbar(vi_mode=True)
    input_window = Window(
        BufferControl(buffer, search_buffer_control=search.control, preview_search=True),
        get_line_prefix=_line_prefix,
        height=lambda: Dimension(min=MENU_ROWS) if buffer.complete_state else Dimension(),
        wrap_lines=True,
        dont_extend_height=True,
    )
    menu = Float(xcursor=True, ycursor=True, transparent=True,
                 content=CompletionsMenu(max_height=MENU_ROWS, scroll_offset=1))
    picker_window = Window(
        FormattedTextControl(picker.fragments, focusable=True, key_bindings=picker_keys, show_cursor=False),
        dont_extend_height=True,
    )
    command_window = Window(BufferControl(command_line.buffer, key_bindings=command_keys), height=1)
    body = HSplit([
        FloatContainer(HSplit([
            input_window, search,
            ConditionalContainer(command_window, filter=Condition(lambda: command_line.active)),
        ]), floats=[menu]),
        ConditionalContainer(picker_window, filter=Condition(lambda: picker.active)),
        Window(FormattedTextControl(status), height=1, style="class:status"),
    ])
    return ShellLayout(Layout(body, focused_element=input_window), input_window, picker_window, command_window)


def _line_prefix(line_number: int, wrap_count: int) -> StyleAndTextTuples:
    if line_number == 0 and wrap_count == 0:
        return [("class:prompt", PROMPT)]
    return [("", " " * len(PROMPT))]
