"""A damaged store never stops the CLI: ``--list`` finishes, lists every readable session,
warns once per bad entry and exits 0 (the next run too); ``--resume`` of a bad session is one
line and exit 1; the store itself raises only SessionError. Each case damages a real store,
runs the real CLI, then checks what it printed and what is on disk."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from smelt_repl.session_core import SessionError, SessionStore
from smelt_repl.session_core.catalog_file import UPDATED, decode_catalog, encode_catalog
from tests.test_cli_sessions import resume_in_terminal, run_cli
from tests.test_store_symlinks import saved_session

LIST_TIMEOUT = 20  # a FIFO or /dev/zero once hung --list (or ate memory) without end


def damage_meta_types(root: Path, sid: str) -> None:
    """A meta.json that would pass every freshness check, with a time that is not a number."""
    meta_path = root / sid / "meta.json"
    meta = orjson.loads(meta_path.read_bytes())
    meta_path.write_bytes(orjson.dumps(meta | {"updated_at_ms": "yesterday"}))


def damage_catalog_row(root: Path, sid: str, *, keep_checksum: bool) -> None:
    catalog = root / ".catalog" / "catalog.json"
    records = decode_catalog(catalog.read_bytes())
    records.records[sid][UPDATED] = "yesterday"
    records.records[sid][1] = ["not", "text"]  # the title
    data = encode_catalog(records)
    if not keep_checksum:  # a hand edit: the checksum no longer matches
        head, _, body = data.partition(b"\n")
        data = head + b"\n" + body.replace(b'"yesterday"', b'"yesterdayy"')
    catalog.write_bytes(data)


def make_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def relink(path: Path, target: str | Path) -> None:
    path.unlink(missing_ok=True)
    os.symlink(target, path)


def append_torn_line(root: Path, sid: str) -> None:
    with open(root / sid / "transcript.jsonl", "ab") as fh:
        fh.write(b'{"type":"mess\xff\n')


def copy_of(root: Path, sid: str) -> None:
    subprocess.run(["cp", "-a", str(root / sid), str(root / ("c0de" * 16))], check=True)


# name: (damage, is the victim still listed, warning lines expected)
CASES: dict[str, tuple[Callable[[Path, str], object], bool, int]] = {
    "meta.json with a time that is a word": (damage_meta_types, True, 0),
    "meta.json that is not JSON": (lambda root, sid: (root / sid / "meta.json").write_text("[1,2"), True, 0),
    "catalog row edited by hand": (lambda root, sid: damage_catalog_row(root, sid, keep_checksum=False), True, 0),
    "catalog row of odd types, checksum intact": (
        lambda root, sid: damage_catalog_row(root, sid, keep_checksum=True), True, 0),
    "session directory that is a symlink loop": (
        lambda root, sid: os.symlink("f00d" * 16, root / ("f00d" * 16)), True, 1),
    "transcript that is a symlink loop": (
        lambda root, sid: relink(root / sid / "transcript.jsonl", "transcript.jsonl"), False, 1),
    "transcript that is a FIFO": (lambda root, sid: make_fifo(root / sid / "transcript.jsonl"), False, 1),
    "transcript that links to /dev/zero": (
        lambda root, sid: relink(root / sid / "transcript.jsonl", "/dev/zero"), False, 1),
    "transcript that is a directory": (
        lambda root, sid: ((root / sid / "transcript.jsonl").unlink(), (root / sid / "transcript.jsonl").mkdir()),
        False, 1),
    "directory inside .changes": (
        lambda root, sid: ((root / ".changes" / sid).mkdir(parents=True), (root / ".changes" / sid / "x").touch()),
        True, 0),
    ".changes that is a file": (lambda root, sid: (root / ".changes").rmdir() or (root / ".changes").write_text("x"),
                                True, 0),
    ".catalog/catalog.json that is a directory": (
        lambda root, sid: ((root / ".catalog" / "catalog.json").unlink(),
                           (root / ".catalog" / "catalog.json" / "x").mkdir(parents=True)),
        True, 1),
    ".catalog.lock that is a directory": (
        lambda root, sid: ((root / ".catalog.lock").unlink(), (root / ".catalog.lock" / "x").mkdir(parents=True)),
        True, 1),
    "directory name that is not UTF-8": (
        lambda root, sid: subprocess.run([b"cp", b"-a", bytes(root / sid), bytes(root) + b"/\xff\xfe"], check=True),
        True, 1),
    "legacy session.json that is not JSON": (
        lambda root, sid: ((root / ("1e9a" * 16)).mkdir(), (root / ("1e9a" * 16) / "session.json").write_text("{")),
        True, 1),
    "copied session directory": (copy_of, True, 0),
    "transcript with a torn line (logged, not printed)": (append_torn_line, True, 0),
}


@pytest.fixture
def damaged(request, store) -> tuple[SessionStore, str, str, bool, int]:
    """A store with a healthy session and a victim, damaged as the case says, after a first
    listing (so the catalog exists)."""
    damage, victim_listed, warnings = CASES[request.param]
    healthy = saved_session(store, "healthy")
    victim = saved_session(store, "victim")
    store.list()
    damage(store.root, victim)
    return store, healthy, victim, victim_listed, warnings


@pytest.mark.parametrize("damaged", list(CASES), indirect=True)
def test_list_survives_the_damage_and_so_does_the_next_run(damaged, xdg):
    store, healthy, victim, victim_listed, warnings = damaged
    for _ in range(2):
        result = run_cli("--list", env_dirs=xdg, timeout=LIST_TIMEOUT)
        assert result.returncode == 0 and "Traceback" not in result.stderr
        listed = [line.split()[0] for line in result.stdout.splitlines()]
        assert healthy[:8] in listed and (victim[:8] in listed) == victim_listed
        assert len(set(listed)) == len(listed)
        lines = result.stderr.splitlines()
        assert len(lines) == warnings and all(line.startswith("smelt-repl: warning: ") for line in lines)


@pytest.mark.parametrize("damaged", list(CASES), indirect=True)
def test_the_store_raises_only_session_errors(damaged):
    store, healthy, victim, victim_listed, _ = damaged
    fresh = SessionStore(store.root)
    assert {row["id"] for row in fresh.list()} >= ({healthy, victim} if victim_listed else {healthy})
    for call in (fresh.resolve, fresh.text, fresh.open, lambda sid: fresh.delete(sid, current_id=None)):
        try:
            opened = call(victim)
        except SessionError as exc:
            assert "\n" not in str(exc)
        else:
            if hasattr(opened, "close"):
                opened.close()
    assert healthy in fresh.texts([healthy, victim])


def test_a_garbage_meta_is_rebuilt_from_the_transcript(store, xdg):
    sid = saved_session(store)
    damage_meta_types(store.root, sid)
    (store.root / ".catalog" / "catalog.json").unlink(missing_ok=True)
    (row,) = SessionStore(store.root).list()
    assert row["id"] == sid and isinstance(row["updated_at_ms"], int) and row["subtitle"] == "hello"


def test_a_copied_directory_is_a_session_of_its_own(store, xdg):
    sid = saved_session(store)
    copy_of(store.root, sid)
    copy = "c0de" * 16
    assert sorted(row["id"] for row in SessionStore(store.root).list()) == sorted([sid, copy])
    opened = store.open(copy)
    assert opened.id == copy
    opened.append_message("user", "only in the copy")
    opened.close()
    assert "only in the copy" not in store.text(sid)
    assert orjson.loads((store.root / copy / "meta.json").read_bytes())["id"] == copy
    assert run_cli("--resume", copy[:6], env_dirs=xdg).stderr.endswith("needs a terminal; for one-shot use try "
                                                                       "-p MESSAGE (or -p - to read stdin)\n")


@pytest.mark.parametrize("damage, message", [
    (lambda d: make_fifo(d / "transcript.jsonl"), "transcript.jsonl is a FIFO, not a regular file"),
    (lambda d: relink(d / "transcript.jsonl", "/dev/zero"), "transcript.jsonl is a symbolic link, not a regular file"),
    (lambda d: relink(d / "ledger.jsonl", "ledger.jsonl"), "ledger.jsonl is a symbolic link, not a regular file"),
    (lambda d: ((d / "meta.json").unlink(), (d / "meta.json").mkdir()), "meta.json is a directory, not a regular file"),
], ids=["fifo transcript", "transcript to /dev/zero", "ledger symlink loop", "meta.json a directory"])
def test_resume_of_a_damaged_session_is_one_line(store, xdg, damage, message):
    sid = saved_session(store)
    damage(store.root / sid)
    result = resume_in_terminal(sid, env_dirs=xdg)
    assert (result.returncode, result.stderr) == (1, f"smelt-repl: session {sid[:8]}: {message}\n")


def test_resume_of_a_corrupt_legacy_session_is_one_line(store, xdg):
    sid = "1e9a" * 16
    (store.root / sid).mkdir(parents=True)
    (store.root / sid / "session.json").write_text("{")
    result = resume_in_terminal(sid, env_dirs=xdg)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"smelt-repl: session {sid[:8]}: session.json is not valid JSON")
