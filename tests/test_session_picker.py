"""The ``:sessions`` picker in the running shell: typing filters (titles, first messages,
bodies), keys move / load / delete, Ctrl-T narrows to this directory, forks as a tree, marks.
Plus the fuzzy scorer's ranking and the body search's superseding, as units."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from smelt_repl.body_search import LOAD_BATCH, BodySearch, matching_line
from smelt_repl.fuzzy import fuzzy_score
from smelt_repl.session_picker import fork_tree
from smelt_repl.session_tree import session_tree
from tests.shell_driver import ShellDriver

UP, DOWN, CTRL_N, CTRL_P = "\x1b[A", "\x1b[B", "\x0e", "\x10"
CTRL_T, CTRL_D, CTRL_U, CTRL_W, BACKSPACE = "\x14", "\x04", "\x15", "\x17", "\x7f"


def saved(store, cwd: str | Path, *messages: str, title: str | None = None) -> str:
    """A session on disk with ``messages`` (user and assistant in turn); its id."""
    session = store.new_session(str(cwd), title=title)
    for i, text in enumerate(messages):
        session.append_message("user" if i % 2 == 0 else "assistant", text)
    session.close()
    return session.id


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


@pytest.fixture
def sessions(store, project: Path) -> dict[str, str]:
    """Four saved sessions: three here, one started in another directory."""
    return {
        "recipes": saved(store, project, "how long do I boil an egg", "About nine minutes.", title="Kitchen notes"),
        "deploy": saved(store, project, "deploy the staging server", "Run make deploy; mind the zanzibar flag."),
        "rust": saved(store, project, "explain rust lifetimes", "A lifetime names a region of code."),
        "elsewhere": saved(store, "/somewhere/else", "a question asked elsewhere", "an answer given elsewhere"),
    }


@pytest.fixture
def sh(store, project: Path, sessions: dict[str, str]) -> Iterator[ShellDriver]:
    with ShellDriver(store, project) as driver:
        yield driver


def screen(sh: ShellDriver) -> str:
    """The picker as drawn (what the layout shows), read on the UI thread."""
    drawn: list[str] = []
    done = threading.Event()

    def draw() -> None:
        drawn.append("".join(text for _, text in sh.shell.picker.fragments()))
        done.set()

    sh.shell.on_ui(draw)
    assert done.wait(5)
    return drawn[0]


def open_sessions(sh: ShellDriver) -> None:
    sh.command(":sessions")
    sh.wait_for(lambda: sh.shell.picker.search is not None, what="the sessions picker")


def type_query(sh: ShellDriver, text: str) -> str:
    """Type into the picker's query; wait for the body search to end; the screen."""
    sh.type(text)
    sh.sync()
    sh.wait_for(lambda: sh.shell.picker.search is not None and not sh.shell.picker.search.searching,
                what="the body search")
    return screen(sh)


def shown_ids(sh: ShellDriver) -> list[str]:
    return [choice.value for choice in list(sh.shell.picker.choices)]


def selected(sh: ShellDriver) -> str:
    return sh.shell.picker.choices[sh.shell.picker.index].value


# -- filtering -------------------------------------------------------------------------------


def test_typing_filters_by_title_and_by_first_message(sh, sessions):
    open_sessions(sh)
    assert len(shown_ids(sh)) == 4
    text = type_query(sh, "kitchen")
    assert shown_ids(sh) == [sessions["recipes"]] and "filter: kitchen" in text
    type_query(sh, CTRL_U + "stging")  # fuzzy: a subsequence of "staging"
    assert shown_ids(sh) == [sessions["deploy"]]
    type_query(sh, CTRL_U + "RUST LIFE")  # case does not matter
    assert shown_ids(sh) == [sessions["rust"]]


def test_a_body_match_is_listed_with_its_matching_line(sh, sessions):
    open_sessions(sh)
    text = type_query(sh, "zanzibar")
    assert shown_ids(sh) == [sessions["deploy"]]
    assert "↳ Run make deploy; mind the zanzibar flag." in text
    assert "deploy the staging server" in text  # the row itself, above its line


def test_editing_the_query_backspace_ctrl_w_ctrl_u(sh, sessions):
    open_sessions(sh)
    type_query(sh, "deploy nothing")
    assert shown_ids(sh) == [] and "(no match)" in screen(sh)
    type_query(sh, CTRL_W)
    assert sh.shell.picker.search.query == "deploy " and shown_ids(sh) == [sessions["deploy"]]
    type_query(sh, BACKSPACE * 3)
    assert sh.shell.picker.search.query == "depl"
    type_query(sh, CTRL_U)
    assert sh.shell.picker.search.query == "" and len(shown_ids(sh)) == 4


def test_letters_type_into_the_query_rather_than_move_or_close(sh):
    open_sessions(sh)
    type_query(sh, "jkgGqyn")
    assert sh.shell.picker.active and sh.shell.picker.search.query == "jkgGqyn"
    assert sh.shell.picker.index == 0


def test_arrows_and_ctrl_n_p_move_enter_loads(sh):
    open_sessions(sh)
    order = shown_ids(sh)
    for key, index in ((DOWN, 1), (CTRL_N, 2), (CTRL_P, 1), (UP, 0), (UP, 0), (DOWN, 1)):
        sh.type(key)
        sh.sync()
        assert sh.shell.picker.index == index, key
    sh.type("\r")
    sh.wait_for(lambda: sh.app.session.id == order[1], what="the picked session to load")
    assert not sh.shell.picker.active


def test_esc_and_ctrl_c_close(sh):
    for key in ("\x1b", "\x03"):
        open_sessions(sh)
        sh.type(key)
        sh.sync()
        sh.wait_for(lambda: not sh.shell.picker.active, what="the picker to close")
        assert sh.shell.picker.search is None


def test_ctrl_t_shows_only_this_directory_and_back(sh, sessions):
    open_sessions(sh)
    assert "[all directories]" in screen(sh) and sessions["elsewhere"] in shown_ids(sh)
    type_query(sh, CTRL_T)
    assert "[this directory]" in screen(sh)
    assert sessions["elsewhere"] not in shown_ids(sh) and len(shown_ids(sh)) == 3
    type_query(sh, "elsewhere")  # neither its title nor its body is searched now
    assert shown_ids(sh) == []
    type_query(sh, CTRL_T)
    assert shown_ids(sh) == [sessions["elsewhere"]] and "[all directories]" in screen(sh)


# -- deleting --------------------------------------------------------------------------------


def test_ctrl_d_asks_n_keeps_y_deletes_and_the_list_refreshes(sh, sessions):
    target = sessions["rust"]
    open_sessions(sh)
    type_query(sh, "rust")
    sh.type(CTRL_D)
    sh.sync()
    sh.wait_for(lambda: sh.shell.picker.search is None and sh.shell.picker.active, what="the y/N question")
    assert sh.shell.picker.title.startswith(f"delete session {target[:8]}?")
    sh.type("n")
    sh.wait_output("kept")
    sh.wait_for(lambda: sh.shell.picker.search is not None, what="the sessions picker back")
    assert (sh.app.store.root / target).is_dir() and shown_ids(sh) == [target]
    assert sh.shell.picker.search.query == "rust"  # the query survives the question
    sh.type(CTRL_D)
    sh.sync()
    sh.wait_for(lambda: sh.shell.picker.search is None and sh.shell.picker.active, what="the y/N question")
    sh.type("y")
    sh.wait_output(f"deleted session {target[:8]}")
    sh.wait_for(lambda: sh.shell.picker.search is not None, what="the sessions picker back")
    assert not (sh.app.store.root / target).exists()
    assert shown_ids(sh) == []
    type_query(sh, CTRL_U)
    assert target not in shown_ids(sh) and len(shown_ids(sh)) == 3


def test_the_current_session_is_marked_listed_and_not_deleted(store, project, sessions):
    with ShellDriver(store, project, session_id=sessions["deploy"]) as sh:
        open_sessions(sh)
        rows = [line for line in screen(sh).splitlines() if any(sid[:8] in line for sid in sessions.values())]
        assert len(rows) == 4  # the current session is listed too
        assert [line for line in rows if "● " in line] == [line for line in rows if sessions["deploy"][:8] in line]
        type_query(sh, "staging")
        sh.type(CTRL_D)
        sh.sync()
        out = sh.wait_output("that is the session you are in")
        assert out.count("that is the session you are in") == 1
        assert sh.shell.picker.search is not None  # still the sessions picker, no question
        assert (store.root / sessions["deploy"]).is_dir()
        sh.type("\r")
        sh.wait_output(f"already in session {sessions['deploy'][:8]}")


def test_sessions_open_in_another_process_are_marked(store, project, sessions):
    holder = textwrap.dedent("""
        import sys, time
        from pathlib import Path
        from smelt_repl.session_core import SessionStore
        session = SessionStore(Path(sys.argv[1])).open(sys.argv[2])
        print("locked", flush=True)
        time.sleep(60)
    """)
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    proc = subprocess.Popen([sys.executable, "-c", holder, str(store.root), sessions["rust"]],
                            stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout.readline().strip() == b"locked"
        with ShellDriver(store, project) as sh:
            open_sessions(sh)
            lines = screen(sh).splitlines()
            marked = [line for line in lines if "○ " in line and "open in another process" not in line]
            assert len(marked) == 1 and sessions["rust"][:8] in marked[0]
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


# -- the tree --------------------------------------------------------------------------------


def test_a_fork_is_drawn_under_its_parent(store, project):
    parent = store.new_session(str(project), title="the parent")
    parent.append_message("user", "first question")
    child = store.fork(parent)
    child.append_message("user", "a question only in the fork")
    for session in (parent, child):
        session.close()
    saved(store, project, "an unrelated session")
    with ShellDriver(store, project) as sh:
        open_sessions(sh)
        lines = screen(sh).splitlines()
        at = next(i for i, line in enumerate(lines) if parent.id[:8] in line)
        assert child.id[:8] in lines[at + 1] and "└─ the parent" in lines[at + 1]
        assert "─" not in lines[at]
        type_query(sh, "parent")  # filtering: a flat list, no gutters
        assert set(shown_ids(sh)) == {parent.id, child.id} and "└─" not in screen(sh)


def test_nothing_saved_is_one_line(store, project):
    with ShellDriver(store, project) as sh:
        sh.command(":sessions")
        sh.wait_output("no other saved sessions")
        assert not sh.shell.picker.active


# -- units: the scorer, the tree shortcut, the body search ----------------------------------


def test_fuzzy_scorer_ranks_contiguous_word_start_and_early_matches_higher():
    assert fuzzy_score("xyz", "abc") is None and fuzzy_score("ba", "ab") is None
    assert fuzzy_score("", "anything") == 0
    assert fuzzy_score("dep", "deploy it") > fuzzy_score("dep", "d-e-p")  # a contiguous run
    assert fuzzy_score("log", "the log file") > fuzzy_score("log", "catalogue")  # a word start
    assert fuzzy_score("cat", "cat and dog") > fuzzy_score("cat", "dog and cat")  # earlier
    assert fuzzy_score("nw", "new window") > fuzzy_score("nw", "xxnxxwxx")  # two word starts
    assert fuzzy_score("ss", "staging server") > fuzzy_score("ss", "mission")  # initials over a mid-word pair
    ranked = sorted(["a dog catalogue", "catalog", "the cat"], key=lambda t: -(fuzzy_score("cat", t) or 0))
    assert ranked == ["catalog", "the cat", "a dog catalogue"]


def test_fork_tree_orders_and_prefixes_as_session_tree():
    rows = [{"id": f"s{i}", "parent_id": parent, "updated_at_ms": 100 - i}
            for i, parent in enumerate([None, "s0", None, "s1", "gone", "s2", None, "s0"])]
    expected = [(row["id"], row["tree_prefix"]) for row in session_tree(rows)]
    assert [(row["id"], row.get("tree_prefix", "")) for row in fork_tree(rows)] == expected
    lone = [{"id": "a", "updated_at_ms": 2}, {"id": "b", "updated_at_ms": 1}]
    assert fork_tree(lone) == lone


def test_a_newer_body_search_supersedes_an_older_one_and_texts_load_once():
    loading, release, loads = threading.Event(), threading.Event(), []

    def texts(ids):
        loads.append(list(ids))
        loading.set()
        release.wait(5)
        return {"a": "alpha line\nthe needle here", "b": "beta\nno match", "c": "NEEDLE upper"}

    posted, delivered, done = [], [], threading.Event()
    search = BodySearch(texts, posted.append)

    def deliver(generation, found, finished):
        delivered.append((generation, found))
        if finished:
            done.set()

    search.search("alpha", ["a", "b", "c"], deliver)
    assert loading.wait(5)  # the worker is loading the texts for the first search
    newer = search.search("needle", ["a", "b", "c"], deliver)
    release.set()
    while not done.is_set():
        while posted:
            posted.pop(0)()
        done.wait(0.01)
    assert {generation for generation, _ in delivered} == {newer}
    assert [match for _, found in delivered for match in found] == [("a", "the needle here"), ("c", "NEEDLE upper")]
    search.search("beta", ["a", "b"], deliver)
    search.stop()
    assert len(loads) == 1  # cached for the searcher's lifetime


def test_the_body_search_worker_waits_while_the_ui_filters_a_keystroke():
    ids = [f"s{i}" for i in range(LOAD_BATCH * 3)]
    first_batch, second_batch, ui_busy, batches = threading.Event(), threading.Event(), threading.Event(), []

    def texts(batch):
        batches.append(batch)
        (second_batch if len(batches) > 1 else first_batch).set()
        ui_busy.wait(5)  # the keystroke began while this batch was read
        return {session_id: f"text of {session_id}" for session_id in batch}

    posted, done = [], threading.Event()
    search = BodySearch(texts, posted.append)
    search.search("text of s1", ids, lambda generation, found, finished: finished and done.set())
    assert first_batch.wait(5)
    with search.ui_busy():
        ui_busy.set()
        assert not second_batch.wait(0.2)  # no further batch is read while the UI is busy
    while not done.is_set():  # and all of it once the keystroke is filtered
        while posted:
            posted.pop(0)()
        done.wait(0.01)
    search.stop()
    assert [len(batch) for batch in batches] == [LOAD_BATCH] * 3


def test_matching_line_is_one_clipped_line_around_the_match():
    text = "first\n" + "x" * 200 + " needle " + "y" * 200 + "\nlast"
    line = matching_line(text, text.lower(), text.index("needle"))
    assert "\n" not in line and "needle" in line and line.startswith("…") and line.endswith("…")
    assert len(line) <= 102
    control = "a\x1b[2Jb needle"
    assert matching_line(control, control.lower(), control.index("needle")) == "a\\x1b[2Jb needle"
