"""Long pastes show as ``[pasted N lines]`` in the prompt until sent; the whole text is what
the buffer holds, sends and saves."""

from __future__ import annotations

import asyncio
import threading

import pytest
from prompt_toolkit.application import Application
from prompt_toolkit.application.current import create_app_session, set_app
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.data_structures import Point
from prompt_toolkit.formatted_text.utils import fragment_list_to_text
from prompt_toolkit.input import DummyInput, create_pipe_input
from prompt_toolkit.keys import Keys
from prompt_toolkit.layout import Layout, Window
from prompt_toolkit.output import DummyOutput

from smelt_repl.paste import FoldingBufferControl, PastedSpans, paste_key_bindings
from tests.shell_driver import sh  # noqa: F401 - the fixture

LONG = "\n".join(f"row {i}" for i in range(200))


def bracketed(text: str) -> str:
    """What a terminal sends for a paste of ``text`` once bracketed paste is on."""
    return f"\x1b[200~{text}\x1b[201~"


def drawn(control: FoldingBufferControl) -> tuple[list[str], Point | None]:
    """The rows the control draws and where its cursor is (rendering wants an application
    and an event loop)."""
    async def draw() -> tuple[list[str], Point | None]:
        content = control.create_content(80, 1000)
        rows = [fragment_list_to_text(content.get_line(row)).rstrip() for row in range(content.line_count)]
        return rows, content.cursor_position

    with set_app(Application(input=DummyInput(), output=DummyOutput())):
        return asyncio.run(draw())


@pytest.fixture
def prompt() -> tuple[Buffer, PastedSpans, FoldingBufferControl]:
    buffer = Buffer(multiline=True)
    pastes = PastedSpans(buffer)
    return buffer, pastes, FoldingBufferControl(buffer, pastes)


def test_a_long_paste_shows_as_one_label_and_the_buffer_keeps_it_all(prompt) -> None:
    buffer, pastes, control = prompt
    buffer.insert_text("explain this: ")
    pastes.paste(LONG)
    assert buffer.text == "explain this: " + LONG
    assert drawn(control) == (["explain this: [pasted 200 lines]"], Point(x=32, y=0))


def test_a_short_paste_is_shown_as_it_is(prompt) -> None:
    buffer, pastes, control = prompt
    pastes.paste("\n".join(["line"] * 20))
    assert pastes.spans == [] and drawn(control)[0] == ["line"] * 20


def test_text_after_a_paste_ending_in_a_newline_starts_its_own_row(prompt) -> None:
    buffer, pastes, control = prompt
    pastes.paste(LONG + "\r\n")  # line endings become \n
    buffer.insert_text("and my question")
    assert buffer.text == LONG + "\nand my question"
    assert drawn(control) == (["[pasted 200 lines]", "and my question"], Point(x=15, y=1))


def test_the_fold_follows_edits_around_it_and_opens_when_edited_inside(prompt) -> None:
    buffer, pastes, control = prompt
    pastes.paste(LONG)
    buffer.insert_text(" tail")
    buffer.cursor_position = 0
    buffer.insert_text("row ")  # the same characters the paste starts with
    assert drawn(control)[0] == ["row [pasted 200 lines] tail"]
    buffer.cursor_position = 8  # inside the paste: the cursor shows just after the label
    assert drawn(control)[1] == Point(x=22, y=0)
    buffer.insert_text("X")
    assert pastes.spans == [] and drawn(control)[0][:2] == ["row row X0", "row 1"]


def test_two_pastes_and_text_between_them(prompt) -> None:
    buffer, pastes, control = prompt
    pastes.paste(LONG)
    buffer.insert_text(" vs ")
    pastes.paste(LONG.replace("row", "col")[:-1])
    assert drawn(control)[0] == ["[pasted 200 lines] vs [pasted 200 lines]"]
    buffer.reset()  # sent: nothing is folded any more
    assert drawn(control)[0] == [""] and pastes.spans == []


def test_the_binding_takes_a_bracketed_paste_through_a_real_application() -> None:
    seen: list[tuple[str, list[str]]] = []
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        buffer = Buffer(multiline=True)
        pastes = PastedSpans(buffer)
        control = FoldingBufferControl(buffer, pastes)
        keys = paste_key_bindings(pastes)

        @keys.add("c-d")
        def _done(event) -> None:
            content = control.create_content(80, 1000)
            seen.append((buffer.text, [fragment_list_to_text(content.get_line(row)).rstrip()
                                       for row in range(content.line_count)]))
            event.app.exit()

        application: Application[None] = Application(layout=Layout(Window(control)), key_bindings=keys)
        pipe.send_text("ask: " + bracketed(LONG) + "\x04")
        application.run()
    assert seen == [("ask: " + LONG, ["ask: [pasted 200 lines]"])]


# -- in the shell -------------------------------------------------------------------------


def paste_is_wired(shell) -> bool:
    """Whether the shell binds Keys.BracketedPaste itself (the lead wires paste_key_bindings)."""
    key_sets = [shell.application.key_bindings, shell.screen.input_window.content.key_bindings]
    return any(kb is not None and kb.get_bindings_for_keys((Keys.BracketedPaste,)) for kb in key_sets)


def prompt_rows(sh) -> list[str]:
    """The rows the prompt draws now, read on the UI thread."""
    rows: list[str] = []
    done = threading.Event()

    def read() -> None:
        content = sh.shell.screen.input_window.content.create_content(80, 1000)
        rows.extend(fragment_list_to_text(content.get_line(row)).rstrip() for row in range(content.line_count))
        done.set()

    sh.shell.on_ui(read)
    assert done.wait(5)
    return rows


def test_a_long_paste_in_the_shell_is_folded_until_sent(sh) -> None:
    if not paste_is_wired(sh.shell):
        pytest.skip("Keys.BracketedPaste is not bound in the shell yet: shell.py must add "
                    "paste_key_bindings(self.screen.pastes, input_focused) to its key bindings")
    sh.type("look: " + bracketed(LONG))
    sh.wait_for(lambda: sh.buffer_text == "look: " + LONG, what="the paste in the buffer")
    assert prompt_rows(sh) == ["look: [pasted 200 lines]"]
    sh.submit("")
    sent = [m["content"] for m in sh.app.session.messages if m["role"] == "user"]
    assert sent == ["look: " + LONG]
    assert "pasted 200" not in (sh.app.session.dir / "transcript.jsonl").read_text()
    assert prompt_rows(sh) == [""]
