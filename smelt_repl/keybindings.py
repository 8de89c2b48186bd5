"""Keys → named actions. Behaviour lives in ``actions.py``, ``pickers.py`` and Lua handlers.

prompt_toolkit's own vi and emacs bindings provide the editing (motions, operators, history);
these add the REPL's keys on top and win over the defaults where they overlap (Enter).
"""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.filters import (
    Always,
    Condition,
    Filter,
    FilterOrBool,
    emacs_insert_mode,
    emacs_selection_mode,
    vi_insert_mode,
    vi_navigation_mode,
    vi_selection_mode,
)
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from smelt_repl.actions import Actions
from smelt_repl.keynotation import check_keymap_mode
from smelt_repl.pickers import Picker


def shell_bindings(actions: Actions, input_focused: Filter, input_empty: Filter) -> KeyBindings:
    """The REPL's keys on the prompt."""
    kb = KeyBindings()
    typing = (vi_insert_mode | emacs_insert_mode) & input_focused

    def bind(*keys: str, filter: FilterOrBool = input_focused) -> Callable:  # noqa: A002
        def register(action: Callable[[], None]) -> None:
            kb.add(*keys, filter=filter)(lambda event: action())
        return register

    bind("enter")(actions.submit)
    bind("escape", "enter", filter=typing)(actions.newline)
    bind("c-j", filter=typing)(actions.newline)
    bind("c-c", filter=True)(actions.interrupt)
    bind("c-d", filter=input_focused & input_empty)(actions.end_of_input)
    bind("escape", filter=vi_navigation_mode & input_focused & input_empty)(actions.escape_in_normal_mode)
    bind("escape", filter=typing & input_empty)(actions.escape_on_empty_prompt)
    # With emacs bindings a lone Escape waits for a Meta key: Esc Esc must be a sequence.
    bind("escape", "escape", filter=emacs_insert_mode & input_focused & input_empty)(actions.open_rewind_picker)
    bind(":", filter=vi_navigation_mode & input_focused)(actions.start_command)
    bind("c-x", "c-e", filter=input_focused)(actions.edit_in_editor)
    # Saving an undo state before the handler would empty the redo stack.
    kb.add("c-r", filter=vi_navigation_mode & input_focused, save_before=lambda event: False)(
        lambda event: actions.redo())
    bind("c-z", filter=True)(actions.suspend)
    kb.add("c", "w", filter=vi_navigation_mode & input_focused)(lambda event: actions.change_word(event.arg))
    kb.add(".", filter=vi_navigation_mode & input_focused)(lambda event: actions.repeat_last_change(event.arg))
    return kb


def picker_bindings(picker: Picker) -> KeyBindings:
    """Keys of an open picker (bound to its window, so they win while it has the focus).

    A picker with a query line (``Picker.open_search``) has no letter keys: letters type.
    """
    kb = KeyBindings()
    searching = Condition(lambda: picker.search is not None)
    letters = ~searching  # a query line takes every letter

    def moves(table: dict[str, int], filter: FilterOrBool = True) -> None:  # noqa: A002
        for key, delta in table.items():
            kb.add(key, filter=filter)(lambda event, delta=delta: picker.move(delta))

    def jumps(table: dict[str, int], filter: FilterOrBool = True) -> None:  # noqa: A002
        for key, index in table.items():
            kb.add(key, filter=filter)(lambda event, index=index: picker.move_to(index))

    rows = Picker.VISIBLE_ROWS
    moves({"up": -1, "c-p": -1, "s-tab": -1, "pageup": -rows, "down": 1, "c-n": 1, "tab": 1, "pagedown": rows})
    moves({"k": -1, "j": 1}, letters)
    jumps({"home": 0, "end": -1})
    jumps({"g": 0, "G": -1}, letters)
    kb.add("enter")(lambda event: picker.pick())
    for key in ("y", "n"):  # a question's answers (rows with that key)
        kb.add(key, filter=letters & Condition(lambda key=key: any(c.key == key for c in picker.choices)))(
            lambda event, key=key: picker.pick_key(key))
    for key, filter in (("escape", True), ("c-c", True), ("q", letters)):  # noqa: A001
        kb.add(key, eager=True, filter=filter)(lambda event: picker.close())
    _query_bindings(kb, picker, searching)
    return kb


def _query_bindings(kb: KeyBindings, picker: Picker, searching: Filter) -> None:
    """Editing a picker's query line, and the search model's own keys."""
    kb.add("<any>", filter=searching)(lambda event: picker.type_text(event.data))
    for keys, action in ((("backspace",), picker.erase_char), (("c-u",), picker.clear_query),
                         (("c-w",), picker.erase_word), (("c-t",), picker.toggle_scope),
                         (("c-d",), picker.delete_selected)):
        kb.add(*keys, filter=searching)(lambda event, action=action: action())


# Where a Lua keymap of each mode of keynotation.KEYMAP_MODES applies (emacs is always inserting).
_MODE_FILTERS: dict[str, Filter] = {"n": vi_navigation_mode, "i": vi_insert_mode | emacs_insert_mode,
                                     "v": vi_selection_mode | emacs_selection_mode, "": Always()}


def user_mode_filter(mode: str) -> Filter:
    """Where a Lua keymap of ``mode`` applies; KeyNotationError for a mode not in KEYMAP_MODES."""
    return _MODE_FILTERS[check_keymap_mode(mode)]


def bind_user_keys(kb: KeyBindings, mode: str, keys: tuple[str, ...], action: Callable[[], None],
                   input_focused: Filter) -> Callable[[KeyPressEvent], None]:
    """Bind a Lua keymap; returns the handler (pass it to ``kb.remove`` to unbind)."""
    def handler(event: KeyPressEvent) -> None:
        action()

    kb.add(*keys, filter=user_mode_filter(mode) & input_focused)(handler)
    return handler
