"""``:copy``: the last reply or one of its code blocks, by OSC 52 (checked in tmux)."""

from __future__ import annotations

import base64
import sys

import pytest

from smelt_repl.clipboard import osc52
from smelt_repl.markdown_blocks import code_blocks
from tests.shell_driver import ShellDriver
from tests.test_headless import cli_env
from tests.tmux_driver import TmuxSession, tmux_available

REPLY = "Two ways:\n\n```python\nprint('one')\n```\n\nand\n\n~~~~sh\necho two\n```\nstill two\n~~~~\n"


def test_code_blocks_are_counted_as_a_reader_sees_them():
    assert code_blocks(REPLY) == ["print('one')", "echo two\n```\nstill two"]
    assert code_blocks("```\nunclosed") == ["unclosed"] and code_blocks("no code") == []


def test_osc52_carries_the_text():
    sequence = osc52("héllo")
    assert sequence.startswith("\x1b]52;c;") and sequence.endswith("\x07")
    assert base64.b64decode(sequence[7:-1]).decode() == "héllo"


@pytest.fixture
def loop_sh(store, tmp_path, provider_server):
    provider_server.script(text=REPLY)
    spec = provider_server.provider_spec("openai-compatible")
    with ShellDriver(store, tmp_path, model="loop/m", providers={"loop": spec}) as driver:
        yield driver


def test_copy_sends_the_reply_or_a_block_to_the_terminal(loop_sh):
    loop_sh.submit("how?")
    loop_sh.command(":copy 2")
    loop_sh.wait_output("copied code block 2")
    assert osc52("echo two\n```\nstill two") in "".join(loop_sh.chunks)
    loop_sh.command(":copy")
    loop_sh.wait_output("copied the last reply")
    assert osc52(REPLY) in "".join(loop_sh.chunks)
    loop_sh.command(":copy 3")
    loop_sh.wait_output("no code block 3 in the last reply (code blocks 1-2)")


@pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (apt-get install tmux)")
def test_copy_reaches_tmux_with_set_clipboard_on(xdg, tmp_path):
    env = {k: v for k, v in cli_env(xdg).items() if k.startswith(("XDG_", "PATH", "HOME"))}
    env["TERM"] = "xterm-256color"
    with TmuxSession([sys.executable, "-m", "smelt_repl"], env=env, cwd=tmp_path) as term:
        term.set_option("set-clipboard", "on")
        term.wait_for("INSERT")
        term.type("copy me")
        term.keys("Enter")
        term.wait_for("Offline mode")
        term.type(":copy")
        term.keys("Enter")
        term.wait_for("copied the last reply")
        term.wait_for(lambda screen: "Offline mode" in term.paste_buffer())
