"""The small shared rules of the core: one-line labels, message text, sizes, and file locks."""

from __future__ import annotations

import os

import pytest

from smelt_repl.listing import format_session_row
from smelt_repl.session_core import SessionLocked
from smelt_repl.session_core.content import clip, first_line, message_text, subtitle_of
from smelt_repl.session_core.fsio import StoreDir
from smelt_repl.session_core.lock import FileLock, SessionLock


def test_first_line_skips_blank_lines_and_clips_with_an_ellipsis() -> None:
    assert first_line("\n  \n  hello there  \nsecond") == "hello there"
    assert first_line("abcdef", 4) == "abc…"
    assert first_line("abcd", 4) == "abcd"
    assert first_line(" \n\t") == ""
    assert clip("x" * 10, 5) == "xxxx…"


def test_subtitle_is_the_first_line_or_none() -> None:
    assert subtitle_of("Why?\nbecause") == "Why?"
    assert subtitle_of("y" * 300) == "y" * 199 + "…"
    assert subtitle_of("  \n ") is None and subtitle_of(None) is None


def test_message_text_keeps_only_text_parts() -> None:
    parts = [{"type": "text", "text": "one"}, {"type": "image_url", "image_url": {"url": "data:,"}},
             {"type": "input_text", "text": "two"}, "bare", {"type": "text", "text": 3}, {"text": "untyped"}]
    assert message_text(parts) == "one\ntwo\nbare"
    assert message_text("plain") == "plain" and message_text(None) == ""


def test_session_label_is_one_clipped_line() -> None:
    row = {"id": "abcd1234" * 4, "title": "a title\nover two lines " + "z" * 80, "cwd": "/p",
           "updated_at_ms": 1_700_000_000_000}
    label = format_session_row(row).split("  ")[2]
    assert label.startswith("a title over two lines zz") and label.endswith("…") and len(label) == 60
    assert "(no message)" in format_session_row({"id": "abcd1234"})


def test_size_is_none_when_missing_or_not_a_regular_file(tmp_path) -> None:
    (tmp_path / "f").write_bytes(b"12345")
    (tmp_path / "link").symlink_to(tmp_path / "f")
    with StoreDir.open(tmp_path, "test") as directory:
        assert directory.size("f") == 5
        assert directory.size("missing") is None and directory.size("link") is None


def test_file_lock_excludes_other_holders_until_the_block_ends(tmp_path) -> None:
    path = tmp_path / "lock"
    with FileLock(path):
        with pytest.raises(BlockingIOError):
            FileLock(path).acquire(wait=False)
    other = FileLock(path)
    assert other.acquire(wait=False) and other.acquire(wait=False)  # taking it twice is fine
    other.release()
    other.release()


def test_session_lock_names_the_holder_and_never_creates_when_told_not_to(tmp_path) -> None:
    holder = SessionLock(tmp_path)
    assert SessionLock(tmp_path).acquire(create=False) is False
    assert not (tmp_path / "lock").exists()
    assert holder.acquire()
    with pytest.raises(SessionLocked, match=f"process {os.getpid()}"):
        SessionLock(tmp_path).acquire()
    holder.release()
    again = SessionLock(tmp_path)
    assert again.acquire(create=False)
    again.release()
