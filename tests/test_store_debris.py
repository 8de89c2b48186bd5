"""Crash debris is cleaned when the catalog is rebuilt: temp files and trash older than an
hour (in a session directory: one that shows an interrupted write; the others when the
session is opened), and session directories that never got a transcript, unless a live
process holds one. Run through the real CLI; the disk is checked afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.test_cli_sessions import run_cli
from tests.test_store_symlinks import saved_session

HOLD_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


def aged(path: Path, hours: float = 2) -> Path:
    """Set ``path``'s times ``hours`` back (a directory's last, after its entries were made)."""
    then = time.time() - hours * 3600
    os.utime(path, (then, then), follow_symlinks=False)
    return path


def make(path: Path, *files: str) -> Path:
    path.mkdir()
    for name in files:
        (path / name).write_text("x")
    return path


@contextmanager
def lock_held_by_another_process(lock: Path) -> Iterator[None]:
    """Another live process holds ``lock``'s flock for the duration of the block."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(lock)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def rebuild(xdg, root: Path) -> subprocess.CompletedProcess:
    (root / ".catalog" / "catalog.json").unlink(missing_ok=True)
    result = run_cli("--list", env_dirs=xdg)
    assert result.returncode == 0 and result.stderr == ""
    return result


def interrupted_write(root: Path, sid: str) -> None:
    """What a writer that crashed after appending to the transcript leaves: a meta.json that
    is no longer fresh (its temp successor is the debris)."""
    with (root / sid / "transcript.jsonl").open("ab") as transcript:
        transcript.write(b'{"type": "message", "role": "user", "content": "more", "ts_ms": 1}\n')


def test_a_rebuild_removes_old_debris_and_keeps_young_debris(store, xdg):
    sid = saved_session(store)
    root = store.root
    interrupted_write(root, sid)
    old_empty = aged(make(root / ("a0" * 32), "meta.json", "lock"))
    young_empty = make(root / ("b0" * 32), "lock")
    old_temps = [root / ".catalog.json.123.tmp", root / sid / ".meta.json.456.tmp"]
    young_temps = [root / ".catalog.json.789.tmp", root / sid / ".content.txt.1.tmp"]
    for path in old_temps + young_temps:
        path.write_text("half written")
    for path in old_temps:
        aged(path)
    old_trash = aged(make(root / ".trash-deadbeef-0000", "transcript.jsonl"))

    listed = rebuild(xdg, root)
    assert listed.stdout.startswith(sid[:8]) and len(listed.stdout.splitlines()) == 1
    assert not old_empty.exists() and not old_trash.exists()
    assert not any(path.exists() for path in old_temps)
    assert young_empty.exists() and all(path.exists() for path in young_temps)
    assert {p.name for p in (root / sid).iterdir()} >= {"transcript.jsonl", "ledger.jsonl", "meta.json", "lock"}


def test_old_temp_files_of_a_settled_session_go_when_it_is_opened(store, xdg):
    """A rebuild does not list a session directory whose meta.json is fresh; its old temp
    files are removed when the session is next opened (young ones are kept)."""
    sid = saved_session(store)
    old_temp, young_temp = store.root / sid / ".meta.json.456.tmp", store.root / sid / ".content.txt.1.tmp"
    for path in (old_temp, young_temp):
        path.write_text("half written")
    aged(old_temp)
    rebuild(xdg, store.root)
    assert old_temp.exists()
    store.open(sid).close()
    assert not old_temp.exists() and young_temp.exists()


def test_a_directory_a_live_process_holds_is_never_removed(store, xdg):
    store.root.mkdir(parents=True)
    held = aged(make(store.root / ("c0" * 32), "lock"))
    with lock_held_by_another_process(held / "lock"):
        rebuild(xdg, store.root)
        assert held.exists()
    rebuild(xdg, store.root)  # its holder is gone: now it is debris
    assert not held.exists()


def test_only_a_rebuild_cleans(store, xdg):
    saved_session(store)
    rebuild(xdg, store.root)
    old_empty = aged(make(store.root / ("d0" * 32)))
    assert run_cli("--list", env_dirs=xdg).returncode == 0  # the catalog is intact: no sweep
    assert old_empty.exists()
    rebuild(xdg, store.root)
    assert not old_empty.exists()
