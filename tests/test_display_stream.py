"""Replies in the real shell: tables drawn alike live and on replay, a resize mid-reply, and
the first-run hint."""

from __future__ import annotations

from prompt_toolkit.data_structures import Size

from smelt_repl import display
from smelt_repl.render.ansi import cell_width
from tests.test_shell_streaming import loop_sh  # noqa: F401 - the fixture

TABLE_REPLY = """Here you go:

| model | context | note |
|:------|--------:|------|
| small | 8k | fast, **cheap** |
| large | 128k | slow but much better at long documents with many tables |

That's all."""


def test_a_streamed_table_looks_like_its_replay(loop_sh, provider_server):
    provider_server.script(text=TABLE_REPLY, chunks=23)
    loop_sh.submit("compare")
    live = loop_sh.output
    assert "│ small │      8k │ fast, cheap" in live and "└───" in live
    assert live.endswith(display.replay(loop_sh.app.session.messages, 80, False))


def test_a_resize_mid_reply_rewraps_what_is_still_to_come(loop_sh, provider_server):
    paragraph = " ".join(f"word{i}" for i in range(25))
    provider_server.script(chunks=[paragraph + "\n", "\n", paragraph + "\n"], hold_after=1)
    loop_sh.type("go\r")
    loop_sh.wait_output("word24")
    loop_sh.shell.terminal.get_size = lambda: Size(rows=40, columns=40)  # the terminal shrinks
    provider_server.release()
    loop_sh.wait_idle()
    reply = loop_sh.output.split("› go\n", 1)[1]
    before, after = (block.splitlines() for block in reply.strip().split("\n\n"))
    assert max(map(cell_width, before)) > 40  # printed before the resize: stays as it was
    assert len(after) > len(before) and max(map(cell_width, after)) <= 40
    assert " ".join(before) == " ".join(after) == paragraph


def test_the_first_run_hint_shows_until_a_session_exists(store, app):
    hint = display.first_run_hint(store, color=False)
    assert ":help" in hint and ":model" in hint and "--model" in hint and hint.count("\n") == 1
    assert display.first_run_hint(store, color=True) == f"\x1b[2m{hint.strip()}\x1b[0m\n"
    app.send("hello")
    assert app.session.persisted and display.first_run_hint(store, color=False) == ""
