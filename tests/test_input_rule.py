"""Messages vs commands (SPEC §9): the rule itself, then the REPL and headless -p applying it."""

from __future__ import annotations

import pytest

from smelt_repl.input_rule import CommandInput, LikelyTypo, MessageInput, classify, edit_distance
from tests.shell_driver import sh  # noqa: F401 - the fixture
from tests.test_headless import messages, run, sessions

KNOWN = {"rewind", "fork", "sessions", "load", "help", "lua", "q", "quit", "retry", "model"}


@pytest.mark.parametrize("text, expected", [
    (":help", CommandInput("help", "")),
    ("/help lua", CommandInput("help", "lua")),
    (":rewind\t2", CommandInput("rewind", "2")),
    (":q!", CommandInput("q", "", bang=True)),
    (":lua for i = 1, 2 do\n  print(i)\nend", CommandInput("lua", "for i = 1, 2 do\n  print(i)\nend")),
    (":) thanks", MessageInput(":) thanks")),
    (":root {\n  color: red;\n}", MessageInput(":root {\n  color: red;\n}")),
    (":help\nwhat does this do?", MessageInput(":help\nwhat does this do?")),
    ("/usr/bin/env is missing", MessageInput("/usr/bin/env is missing")),
    (":thanks for that", MessageInput(":thanks for that")),
    ("::help", MessageInput(":help")),
    ("//fork me", MessageInput("/fork me")),
    ("hello :fork", MessageInput("hello :fork")),
    (":fok", LikelyTypo("fok", "fork")),
    ("/rewnid 2", LikelyTypo("rewnid", "rewind", "/")),
    (":sesions", LikelyTypo("sesions", "sessions")),
])
def test_the_rule(text, expected):
    assert classify(text, KNOWN) == expected


def test_typo_distance_is_1_up_to_4_letters_and_2_beyond():
    assert classify(":frk", KNOWN) == LikelyTypo("frk", "fork")
    assert classify(":fxxk", KNOWN) == MessageInput(":fxxk")  # 2 edits from "fork": a word, not a typo
    assert classify(":rewnd", KNOWN) == LikelyTypo("rewnd", "rewind")
    assert edit_distance("kitten", "sitting", 5) == 3 and edit_distance("abc", "abcdefg", 2) == 3


def test_the_repl_sends_what_only_looks_like_a_command(sh):
    sh.submit(":) thanks")
    sh.submit("::help")
    sh.type(":root {\x1b\r  color: red;\x1b\r}\r")  # Alt-Enter for the line breaks
    sh.wait_idle()
    sent = [m["content"] for m in sh.app.session.messages if m["role"] == "user"]
    assert sent == [":) thanks", ":help", ":root {\n  color: red;\n}"]
    assert "Commands:" not in sh.output


def test_slash_commands_run_in_the_repl(sh):
    sh.command("/help")
    sh.wait_output("Commands:")
    assert sh.app.session.messages == []


def test_headless_applies_the_same_rule(xdg):
    assert run(xdg, "-p", ":root { color: red }").returncode == 0
    refused = run(xdg, "-p", "/fork")
    assert refused.returncode == 1 and '":fork" requires interactive mode' in refused.stderr
    typo = run(xdg, "-p", ":frk")
    assert typo.returncode == 1 and "did you mean :fork?" in typo.stderr
    (session_dir,) = sessions(xdg)
    assert messages(session_dir)[0]["content"] == ":root { color: red }"
