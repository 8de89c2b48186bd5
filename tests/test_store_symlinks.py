"""Nothing is written through a symlink found in the store: session files, catalog files, temp
files and whole session directories are made symlinks to things outside the store, then the
real CLI (``--resume``, ``--list``, a headless ``-p``) and the real store run, and the outside
files are byte-identical afterwards."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from smelt_repl.session_core import SessionError, SessionStore
from smelt_repl.session_core.errors import UnsafeStoreFile
from tests.test_cli_sessions import resume_in_terminal, run_cli

PRECIOUS = b"precious bytes, not a session file\n"
SESSION_FILES = ["lock", "ledger.jsonl", "meta.json", "content.txt", "transcript.jsonl"]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the store that nothing may change."""
    path = tmp_path / "outside.txt"
    path.write_bytes(PRECIOUS)
    return path


def saved_session(store: SessionStore, text: str = "hello") -> str:
    """A closed session with one exchange and a usage record (so it has every file)."""
    from smelt_repl.session_core.usage import Usage

    session = store.new_session("/w")
    session.append_message("user", text)
    session.append_message("assistant", "hi")
    session.record_usage("m", Usage(input=3, output=2))
    session.close()
    return session.id


def replace_with_link(path: Path, target: Path) -> None:
    if path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to(target)


def tree(path: Path) -> dict[str, bytes | None]:
    """Every entry under ``path`` with its bytes (None for directories), to compare."""
    return {str(p.relative_to(path)): None if p.is_dir() else p.read_bytes() for p in sorted(path.rglob("*"))}


@pytest.mark.parametrize("name", SESSION_FILES)
def test_resume_refuses_a_session_file_that_is_a_symlink(store, xdg, outside, name):
    sid = saved_session(store)
    replace_with_link(store.root / sid / name, outside)
    result = resume_in_terminal(sid, env_dirs=xdg)
    assert result.returncode == 1
    assert result.stderr == f"smelt-repl: session {sid[:8]}: {name} is a symbolic link, not a regular file\n"
    assert outside.read_bytes() == PRECIOUS


@pytest.mark.parametrize("name", SESSION_FILES)
def test_store_calls_never_write_through_a_symlinked_session_file(store, outside, name):
    sid = saved_session(store)
    keep = saved_session(store, "untouched")
    replace_with_link(store.root / sid / name, outside)
    with pytest.raises(UnsafeStoreFile, match=f"{name} is a symbolic link"):
        store.open(sid)
    try:
        store.text(sid)
    except SessionError:
        pass  # a transcript that is a link cannot be read: refused, in one line
    assert keep in store.texts([sid, keep])
    (store.root / ".catalog" / "catalog.json").unlink(missing_ok=True)
    listed = {row["id"] for row in SessionStore(store.root).list()}
    assert keep in listed and (sid in listed) == (name != "transcript.jsonl")
    if name == "lock":  # a lock that is a link: nobody can tell if it is held, so delete refuses too
        with pytest.raises(UnsafeStoreFile, match="lock is a symbolic link"):
            store.delete(sid)
    else:  # the directory goes, the link with it, never its target
        store.delete(sid)
        assert not (store.root / sid).exists()
    assert outside.read_bytes() == PRECIOUS


@pytest.mark.parametrize("name", SESSION_FILES)
def test_list_and_a_one_shot_run_never_write_through_a_symlinked_session_file(store, xdg, outside, tmp_path,
                                                                              name):
    sid = saved_session(store)
    replace_with_link(store.root / sid / name, outside)
    (store.root / ".catalog" / "catalog.json").unlink(missing_ok=True)  # a rebuild reads every session
    wrote = run_cli("-p", "hello", env_dirs=xdg, cwd=tmp_path)
    assert wrote.returncode == 0, wrote.stderr
    (new,) = {p.name for p in store.root.iterdir() if not p.name.startswith(".")} - {sid}
    shutil.rmtree(store.root / new)  # only the damaged session is left to list
    for _ in range(2):
        result = run_cli("--list", env_dirs=xdg)
        assert result.returncode == 0
        if name == "transcript.jsonl":  # the canonical file: the session cannot be listed
            assert result.stdout == ""
            assert result.stderr == (f"smelt-repl: warning: session {sid[:8]}: transcript.jsonl is a symbolic "
                                     "link, not a regular file; skipped\n")
        else:  # a derived file or the lock: listed from the transcript
            assert result.stdout.startswith(sid[:8]) and result.stderr == ""
    resumed = run_cli("-r", sid, "-p", "write to it", env_dirs=xdg, cwd=tmp_path)  # a one-shot run in it
    assert (resumed.returncode, resumed.stderr) == (
        1, f"smelt-repl: session {sid[:8]}: {name} is a symbolic link, not a regular file\n")
    assert outside.read_bytes() == PRECIOUS


def test_catalog_files_that_are_symlinks_are_replaced_never_followed(store, xdg, tmp_path):
    outside_dir = tmp_path / "outside-dir"
    outside_dir.mkdir()
    (outside_dir / "kept").write_bytes(PRECIOUS)
    catalog, lock = tmp_path / "catalog-target", tmp_path / "lock-target"
    catalog.write_bytes(PRECIOUS)
    lock.write_bytes(PRECIOUS)
    store.root.mkdir(parents=True)
    (store.root / ".catalog").symlink_to(outside_dir)
    (store.root / ".catalog.json").symlink_to(catalog)  # the catalog's old place
    (store.root / ".catalog.lock").symlink_to(lock)
    (store.root / ".changes").symlink_to(outside_dir)
    before = tree(tmp_path / "outside-dir")

    wrote = run_cli("-p", "hello", env_dirs=xdg, cwd=tmp_path)
    assert wrote.returncode == 0, wrote.stderr
    listed = run_cli("--list", env_dirs=xdg)
    assert listed.returncode == 0 and listed.stderr == ""
    assert len(listed.stdout.splitlines()) == 1 and "hello" in listed.stdout

    assert catalog.read_bytes() == PRECIOUS and lock.read_bytes() == PRECIOUS
    assert tree(outside_dir) == before
    for name in (".catalog", ".catalog.lock", ".changes"):
        assert not (store.root / name).is_symlink()


def test_a_catalog_file_that_is_a_symlink_is_replaced_never_followed(store, xdg, outside):
    sid = saved_session(store)
    store.list()
    catalog = store.root / ".catalog" / "catalog.json"
    catalog.unlink()
    catalog.symlink_to(outside)
    listed = run_cli("--list", env_dirs=xdg)
    assert listed.returncode == 0 and listed.stderr == "" and listed.stdout.startswith(sid[:8])
    assert outside.read_bytes() == PRECIOUS and not catalog.is_symlink() and catalog.is_file()


def test_temp_files_never_reuse_a_planted_name(store, outside):
    sid = saved_session(store)
    # The names temp files once had (pid-based, so predictable) are links to the outside file.
    for name in ("meta.json", "content.txt", "transcript.jsonl"):
        (store.root / sid / f".{name}.{os.getpid()}.tmp").symlink_to(outside)
    (store.root / f".catalog.json.{os.getpid()}.tmp").symlink_to(outside)
    (store.root / ".catalog" / "catalog.json").unlink(missing_ok=True)
    session = store.open(sid)
    session.append_message("user", "more")
    store.fork(session).close()
    session.close()
    assert len(store.list()) == 2
    assert store.text(sid) == "hello\nhi\nmore"
    assert outside.read_bytes() == PRECIOUS


def test_a_session_directory_that_is_a_symlink_is_refused(store, xdg, tmp_path):
    sid = saved_session(store)
    elsewhere = tmp_path / "elsewhere"
    shutil.move(store.root / sid, elsewhere)
    (store.root / sid).symlink_to(elsewhere, target_is_directory=True)
    before = tree(elsewhere)
    refusal = f"session {sid[:8]} is a symbolic link, not a directory"

    listed = run_cli("--list", env_dirs=xdg)
    assert (listed.returncode, listed.stdout) == (0, "")
    assert listed.stderr == f"smelt-repl: warning: {refusal}; skipped\n"
    for prefix in (sid, sid[:6]):  # refused when resolved, before the REPL starts
        resumed = run_cli("--resume", prefix, env_dirs=xdg)
        assert (resumed.returncode, resumed.stderr) == (1, f"smelt-repl: {refusal}\n")
    for call in (store.open, store.delete, store.resolve, store.text):
        with pytest.raises(UnsafeStoreFile, match=refusal):
            call(sid)
    assert store.texts([sid]) == {}
    assert tree(elsewhere) == before


def test_a_symlinked_session_directory_is_refused_by_the_repl_too(store, xdg, tmp_path):
    sid = saved_session(store)
    shutil.move(store.root / sid, tmp_path / "elsewhere")
    (store.root / sid).symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    result = resume_in_terminal(sid, env_dirs=xdg)
    assert (result.returncode, result.stderr) == (1, f"smelt-repl: session {sid[:8]} is a symbolic link, "
                                                     "not a directory\n")
