"""The app log and the prompt history never write through a symlink planted in the state
directory (the sessions have their own, stricter, checks: tests/test_store_symlinks.py)."""

from __future__ import annotations

import logging
import os

import pytest

from smelt_repl.input_history import ProjectHistory, project_history
from smelt_repl.private_files import UnsafePrivateFile, open_private
from tests.test_headless import run


def test_open_private_refuses_links_and_non_files(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (tmp_path / "link").symlink_to(outside)
    with pytest.raises(OSError):
        open_private(tmp_path / "link", os.O_WRONLY | os.O_APPEND)
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(UnsafePrivateFile):  # opened without blocking, then refused
        open_private(tmp_path / "fifo", os.O_RDONLY)
    with pytest.raises(OSError):  # no reader: refused by the kernel already
        open_private(tmp_path / "fifo", os.O_WRONLY | os.O_APPEND)
    assert outside.read_text() == "keep me"


def test_history_round_trips_and_never_follows_a_link(tmp_path):
    history = ProjectHistory(tmp_path / "h")
    history.store_string("one")
    history.store_string("two\nlines")
    assert list(ProjectHistory(tmp_path / "h").load_history_strings()) == ["two\nlines", "one"]
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (tmp_path / "linked").symlink_to(outside)
    linked = ProjectHistory(tmp_path / "linked")
    linked.store_string("secret")
    assert list(linked.load_history_strings()) == [] and outside.read_text() == "keep me"


def test_the_app_log_never_follows_a_link(xdg, tmp_path):
    logs = xdg["state"] / "smelt" / "logs"
    logs.mkdir(parents=True)
    outside = tmp_path / "outside.log"
    outside.write_text("keep me")
    (logs / "smelt-repl.log").symlink_to(outside)
    result = run(xdg, "-p", "hello")  # a run that logs (the offline reply is written, usage too)
    assert result.returncode == 0 and result.stderr.count("\n") == 1
    logging.getLogger("smelt").warning("a warning in this process does not reach it either")
    assert outside.read_text() == "keep me"


def test_project_history_uses_the_safe_file(xdg, tmp_path):
    assert isinstance(project_history(str(tmp_path)), ProjectHistory)
