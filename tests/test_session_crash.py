"""Crash safety: torn and corrupt transcript lines, SIGKILL mid-append, concurrent processes."""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

from smelt_repl.session_core import SessionStore
from smelt_repl.session_core.catalog_file import decode_catalog

# Reads the id to resume (an empty line: a new session) only after its imports, so the next
# writer can start up while the current one is still writing.
WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from smelt_repl.session_core import SessionStore
    resume = sys.stdin.readline().strip()
    store = SessionStore(Path(sys.argv[1]))
    session = store.open(resume) if resume else store.new_session("/w")
    start = len(session.messages)
    for i in range(start, start + 100000):
        body = ("x" * (i % 7) * 40000) if i % 3 == 0 else "m"
        session.append_message("user" if i % 2 == 0 else "assistant", f"{i}:{body}")
        print(session.id, i, flush=True)
    """
)


def numbers(session):
    return [int(m["content"].split(":", 1)[0]) for m in session.messages]


def test_torn_last_line_is_skipped_and_next_append_is_safe(store, caplog):
    session = store.new_session("/w")
    for text in ("one", "two", "three"):
        session.append_message("user", text)
    sid, path = session.id, session.dir / "transcript.jsonl"
    session.close()
    with open(path, "ab") as fh:
        fh.write(b'{"type":"message","role":"user","content":"tor')
    with caplog.at_level(logging.WARNING, logger="smelt.session_core"):
        reopened = store.open(sid)
    assert [m["content"] for m in reopened.messages] == ["one", "two", "three"]
    assert any("corrupt or torn" in r.getMessage() for r in caplog.records)
    reopened.append_message("user", "four")
    reopened.close()
    assert [m["content"] for m in store.open(sid).messages] == ["one", "two", "three", "four"]


def test_corrupt_middle_line_keeps_lines_before_and_after(store, caplog):
    session = store.new_session("/w")
    for text in ("one", "two", "three"):
        session.append_message("user", text)
    sid, path = session.id, session.dir / "transcript.jsonl"
    session.close()
    lines = path.read_bytes().splitlines(keepends=True)
    lines[2] = b'{"type":"message","role":"us\xff\x00garbage\n'
    path.write_bytes(b"".join(lines))
    with caplog.at_level(logging.WARNING, logger="smelt.session_core"):
        assert [m["content"] for m in store.open(sid).messages] == ["one", "three"]
    assert any(f"{path}:3" in r.getMessage() for r in caplog.records)
    assert store.text(sid) == "one\nthree"


def _spawn_writer(root):
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    return subprocess.Popen([sys.executable, "-c", WRITER, str(root)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env)


def _kill_at_random(proc, sid, rng):
    """Let a started writer append for a random while, SIGKILL it; (session id, last acked index)."""
    proc.stdin.write(f"{sid or ''}\n".encode())
    proc.stdin.close()
    line = proc.stdout.readline()  # the first ack: it is writing
    assert line, "writer never acknowledged a message"
    sid, acked = line.split()[0].decode(), int(line.split()[1])
    deadline = time.monotonic() + rng.uniform(0.0, 0.15)
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acked = int(line.split()[1])
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for line in proc.stdout.read().splitlines():  # acks that raced with the kill
        acked = int(line.split()[1])
    proc.stdout.close()
    return sid, acked


def test_sigkill_while_appending_loses_at_most_the_line_in_flight(store):
    """12 writers killed at random moments: 3 sessions, each resumed after 3 kills."""
    rng = random.Random(1234)
    following = _spawn_writer(store.root)
    try:
        for _session in range(3):
            sid, expected_next = None, 0
            for _round in range(4):
                proc, following = following, _spawn_writer(store.root)
                sid, acked = _kill_at_random(proc, sid, rng)
                session = SessionStore(store.root).open(sid)
                got = numbers(session)
                assert got == list(range(len(got))), "messages out of order or duplicated"
                assert acked < len(got) <= acked + 2, (acked, len(got))
                assert len(got) >= expected_next
                expected_next = len(got)
                session.close()
            assert expected_next > 4
    finally:
        following.kill()
        following.wait()
        for pipe in (following.stdin, following.stdout):
            pipe.close()


def test_two_processes_create_list_and_delete_at_once(store):
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from smelt_repl.session_core import SessionStore, SessionError
        store = SessionStore(Path(sys.argv[1]))
        tag = sys.argv[2]
        mine = []
        for i in range(60):
            s = store.new_session("/" + tag)
            s.append_message("user", f"{tag}-{i}")
            s.close()
            mine.append(s.id)
            rows = store.list()
            assert all(isinstance(r["id"], str) for r in rows)
            if i % 3 == 0:
                store.delete(mine.pop(0))
            store.texts([r["id"] for r in rows[:20]])
        print(" ".join(mine))
        """
    )
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    procs = [subprocess.Popen([sys.executable, "-c", script, str(store.root), tag], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env) for tag in ("a", "b")]
    kept = set()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        kept.update(out.split()[i].decode() for i in range(len(out.split())))
    rows = SessionStore(store.root).list()
    assert {r["id"] for r in rows} == kept
    assert len(kept) == 80
    on_disk = {p.name for p in store.root.iterdir() if not p.name.startswith(".")}
    assert on_disk == kept
    assert set(decode_catalog((store.root / ".catalog" / "catalog.json").read_bytes()).records) == kept


def test_delete_refuses_a_session_open_in_a_live_process_and_ignores_a_dead_one(store):
    holder = textwrap.dedent(
        """
        import sys, time
        from pathlib import Path
        from smelt_repl.session_core import SessionStore
        session = SessionStore(Path(sys.argv[1])).open(sys.argv[2])
        print("locked", flush=True)
        time.sleep(60)
        """
    )
    from smelt_repl.session_core import SessionLocked

    a = store.new_session("/a")
    a.append_message("user", "held elsewhere")
    a.close()
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    proc = subprocess.Popen([sys.executable, "-c", holder, str(store.root), a.id], stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout.readline().strip() == b"locked"
        try:
            store.delete(a.id)
        except SessionLocked as exc:
            assert f"process {proc.pid}" in str(exc)
        else:
            raise AssertionError("delete of a session open in a live process was not refused")
        assert a.dir.exists()
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    store.delete(a.id)  # the dead holder's lock is gone with it
    assert not a.dir.exists()
