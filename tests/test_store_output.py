"""What the store writes and ``--list`` prints: text with lone surrogates is saved (U+FFFD in
their place), rows cannot forge other rows or talk to the terminal, and a reader that stops
early ends the listing quietly."""

from __future__ import annotations

import os
import subprocess

import orjson

from smelt_repl.listing import escape_controls
from smelt_repl.session_core import SessionStore
from smelt_repl.session_core.usage import Usage
from tests.test_cli_sessions import CLI, cli_env, run_cli

HOSTILE_TITLE = "\x1b]0;pwned\x07\nfake row"


def lines_of(path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().decode("utf-8").splitlines()]


def test_text_with_lone_surrogates_is_saved_with_replacement_characters(store):
    session = store.new_session("/w/\udcff", title="t\ud800")
    session.append_message("user", "lone \ud83d and a pair \ud83d\ude00")
    session.append_message("assistant", [{"type": "text", "text": "part \udc00"}], reasoning_content="\ud801")
    session.set_title("renamed \udfff")
    session.record_usage("model \ud83d", Usage(input=1, output=1))
    session.record_event("agent_stop", reason="why \udc80")
    sid = session.id
    store.fork(session).close()
    session.close()

    records = lines_of(store.root / sid / "transcript.jsonl")
    assert records[0]["cwd"] == "/w/\ufffd" and records[0]["title"] == "t\ufffd"
    assert records[1]["content"] == "lone \ufffd and a pair \U0001f600"
    assert records[2]["content"] == [{"type": "text", "text": "part \ufffd"}]
    assert records[2]["reasoning_content"] == "\ufffd"
    assert records[3]["title"] == "renamed \ufffd"
    ledger = lines_of(store.root / sid / "ledger.jsonl")
    assert ledger[0]["model"] == "model \ufffd" and ledger[1]["reason"] == "why \ufffd"
    reopened = store.open(sid)
    assert reopened.messages[0]["content"] == "lone \ufffd and a pair \U0001f600" and reopened.title == "renamed \ufffd"
    reopened.close()
    assert store.text(sid) == "lone \ufffd and a pair \U0001f600\npart \ufffd"
    (store.root / ".catalog" / "catalog.json").unlink(missing_ok=True)
    rows = SessionStore(store.root).list()
    assert len(rows) == 2 and {row["cwd"] for row in rows} == {"/w/\ufffd"}
    assert store.most_recent_in("/w/\udcff") in {row["id"] for row in rows}


def test_a_one_shot_run_in_a_directory_whose_name_is_not_utf8(xdg, tmp_path):
    cwd = os.path.join(os.fsencode(tmp_path), b"dir-\xff")
    os.mkdir(cwd)
    wrote = subprocess.run([*CLI, "-p", "hello"], cwd=cwd, env=cli_env(xdg), capture_output=True, timeout=60)
    assert wrote.returncode == 0, wrote.stderr
    listed = run_cli("--list", env_dirs=xdg)
    assert listed.returncode == 0 and listed.stdout.rstrip().endswith("/dir-\ufffd")


def test_list_escapes_control_characters_in_titles_and_cwds(store, xdg):
    forged = store.new_session("/home/u/\x1b[2J\rproj\x9b31m\u202e")
    forged.append_message("user", "question")
    forged.set_title(HOSTILE_TITLE)
    forged.close()
    plain = store.new_session("/p")
    plain.append_message("user", "\x07ring \x1b[31mred")
    plain.close()
    result = run_cli("--list", env_dirs=xdg)
    assert result.returncode == 0
    out = result.stdout
    assert not any(ch in out for ch in "\x1b\x07\r\x9b\u202e")
    rows = {line[:8]: line for line in out.splitlines()}
    assert len(rows) == 2 and len(out.splitlines()) == 2
    assert "\\x07ring \\x1b[31mred" in rows[plain.id[:8]]
    forged_row = rows[forged.id[:8]]
    assert "\\x1b]0;pwned\\x07 fake row" in forged_row  # the newline joined the title's two lines
    assert forged_row.endswith("/home/u/\\x1b[2J\\rproj\\x9b31m\\u202e")


def test_escape_controls_keeps_printable_text():
    assert escape_controls("plain é 日本 \u00a0 tab\tend") == "plain é 日本 \u00a0 tab\\tend"
    assert escape_controls("a\nb\x00c\x7f\x85\u2028") == "a\\nb\\x00c\\x7f\\x85\\u2028"
    assert escape_controls("lone \udcff") == "lone \\udcff"


def test_list_into_a_reader_that_stops_after_one_line_exits_quietly(store, xdg):
    long_cwd = "/" + "deep/" * 800  # rows of 4 kB: more than a pipe buffer in all
    for i in range(24):
        session = store.new_session(long_cwd)
        session.append_message("user", f"question {i}")
        session.close()
    proc = subprocess.Popen([*CLI, "--list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(xdg))
    first = proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read()
    assert proc.wait(timeout=30) == 0
    assert first.endswith(b"/deep/\n") and err == b""
