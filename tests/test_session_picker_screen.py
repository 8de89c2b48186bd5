"""The ``:sessions`` picker as a user meets it: no letter is a key while it has a query line,
and in a real 80-column terminal (tmux) its title, filter and rows each stay on one line."""

from __future__ import annotations

import re
import string
import sys
from pathlib import Path

import pytest
from prompt_toolkit.keys import Keys

from smelt_repl.keybindings import picker_bindings
from smelt_repl.pickers import Choice, Picker
from smelt_repl.session_core import SessionStore
from tests.tmux_driver import TmuxSession, tmux_available

STATUS = re.compile(r"^ (INSERT|NORMAL|EMACS) .*ctx", re.M)


class QueryModel:
    """The least a picker with a query line needs (``pickers.SearchModel``)."""

    query = ""
    choices = [Choice("yes", True, key="y"), Choice("no", False, key="n")]  # keys a question would use

    def __init__(self) -> None:
        self.on_change = lambda reset: None

    def title(self) -> str:
        return "title"

    def footer(self) -> str:
        return ""

    def set_query(self, text: str) -> None:
        self.query = text

    def toggle_scope(self) -> None: ...
    def delete(self, value: object) -> None: ...
    def start(self) -> None: ...
    def close(self) -> None: ...


def active_keys(picker: Picker, key: str) -> list[tuple]:
    return [binding.keys for binding in picker_bindings(picker).get_bindings_for_keys((key,)) if binding.filter()]


def test_with_a_query_line_every_printable_character_types():
    picker = Picker()
    picker.open_search(QueryModel(), lambda value: None)
    for key in string.ascii_letters + string.digits + string.punctuation + " ":
        assert active_keys(picker, key) == [(Keys.Any,)], key


def test_without_a_query_line_the_letter_keys_still_move_and_answer():
    picker = Picker()
    picker.open("question", list(QueryModel.choices), lambda value: None)
    for key in "jkgGqyn":
        assert (key,) in active_keys(picker, key), key


@pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (apt-get install tmux)")
def test_the_picker_fits_an_80_column_terminal(tmp_path: Path):
    env = {f"XDG_{name}_HOME": str(tmp_path / name.lower()) for name in ("STATE", "CONFIG", "DATA", "CACHE")}
    env.update({"TERM": "xterm-256color", "SMELT_MODEL": "offline/offline", "PYTHONUNBUFFERED": "1"})
    project = tmp_path / "project"
    project.mkdir()
    store = SessionStore(tmp_path / "state" / "smelt" / "sessions")
    for i in range(3):
        session = store.new_session(str(project))
        session.append_message("user", f"question {i}: " + "a long first message " * 8)
        session.close()
    with TmuxSession([sys.executable, "-m", "smelt_repl"], env=env, cwd=project, width=80, height=24) as term:
        term.wait_for(lambda screen: STATUS.search(screen))
        term.keys("Escape")
        term.type(":sessions")
        term.keys("Enter")
        for scope in ("all directories", "this directory"):
            lines = term.wait_for(f"[{scope}]").splitlines()
            at = next(i for i, line in enumerate(lines) if f"[{scope}]" in line)
            assert lines[at].rstrip().endswith("Esc close")  # the whole title, on one line
            assert lines[at + 1].startswith(" filter:")  # nothing wrapped onto the next line
            assert lines[at + 2].endswith("a long first me")  # long rows are cut, not wrapped
            assert "open in another process" in lines[at + 5]
            term.keys("C-t")
