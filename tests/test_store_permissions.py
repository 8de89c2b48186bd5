"""Session files and directories the user cannot read: ``--list`` skips them with one warning
and exits 0, ``--resume`` says so in one line.

The tests run as root here, and root reads anything whatever its mode. So, as root, the CLI
runs under ``setpriv`` without the two capabilities that bypass file modes (CAP_DAC_OVERRIDE,
CAP_DAC_READ_SEARCH): it is then held to the modes like any user, and the real permission
errors are met. Without root, chmod alone does it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.test_cli_sessions import resume_in_terminal, run_cli
from tests.test_store_symlinks import saved_session

CAPS = "-dac_override,-dac_read_search"


@pytest.fixture
def as_a_user() -> tuple[str, ...]:
    """The command prefix under which file modes apply to the CLI."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: no way to make root obey file modes")
    return (setpriv, f"--inh-caps={CAPS}", f"--bounding-set={CAPS}")


@pytest.fixture
def unreadable(store) -> Iterator[tuple[str, str]]:
    """A healthy session and a victim; modes taken away in the test are given back after."""
    healthy, victim = saved_session(store, "healthy"), saved_session(store, "victim")
    paths = [store.root / victim, *(store.root / victim).iterdir()]
    modes = {path: path.stat().st_mode for path in paths}
    yield healthy, victim
    for path, mode in modes.items():
        if path.exists():
            os.chmod(path, mode)


def listing(xdg, prefix) -> tuple[list[str], list[str]]:
    result = run_cli("--list", env_dirs=xdg, prefix=prefix)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    return [line[:8] for line in result.stdout.splitlines()], result.stderr.splitlines()


@pytest.mark.parametrize("rebuild", [False, True])
def test_an_unreadable_session_directory_is_skipped_with_one_warning(store, xdg, as_a_user, unreadable, rebuild):
    healthy, victim = unreadable
    store.list()
    os.chmod(store.root / victim, 0)
    if rebuild:
        (store.root / ".catalog" / "catalog.json").unlink()
    for _ in range(2):
        listed, warnings = listing(xdg, as_a_user)
        assert listed == [healthy[:8]]
        assert warnings == [f"smelt-repl: warning: session {victim[:8]}: cannot read it (Permission denied); skipped"]
    resumed = run_cli("--resume", victim, env_dirs=xdg, prefix=as_a_user)
    assert (resumed.returncode, resumed.stderr) == (1, f"smelt-repl: cannot read session {victim[:8]}: "
                                                       "Permission denied\n")


def test_an_unreadable_transcript_is_skipped_and_refused(store, xdg, as_a_user, unreadable):
    healthy, victim = unreadable
    os.chmod(store.root / victim / "transcript.jsonl", 0)
    (store.root / victim / "meta.json").unlink()  # so the transcript must be read
    listed, warnings = listing(xdg, as_a_user)
    assert listed == [healthy[:8]] and len(warnings) == 1 and "Permission denied" in warnings[0]
    resumed = resume_in_terminal(victim, env_dirs=xdg, prefix=as_a_user)
    assert (resumed.returncode, resumed.stderr) == (1, f"smelt-repl: cannot open session {victim[:8]}: "
                                                       "Permission denied\n")


def test_an_unreadable_meta_is_rebuilt_from_the_transcript(store, xdg, as_a_user, unreadable):
    healthy, victim = unreadable
    os.chmod(store.root / victim / "meta.json", 0)
    listed, warnings = listing(xdg, as_a_user)
    assert sorted(listed) == sorted([healthy[:8], victim[:8]]) and warnings == []
