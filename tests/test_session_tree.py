"""``session_tree``: forks drawn under their parents, families by their newest member."""

from __future__ import annotations

from smelt_repl.session_tree import session_tree


def row(id_, parent="", updated=0):
    return {"id": id_, "parent_id": parent, "updated_at_ms": updated, "title": id_}


def test_forks_hang_under_their_parent_depth_first():
    entries = [row("a", updated=1), row("b", "a", 5), row("c", "a", 3), row("d", "b", 4), row("e", updated=2)]
    tree = session_tree(entries)
    assert [(r["id"], r["depth"], r["tree_prefix"]) for r in tree] == [
        ("a", 0, ""), ("b", 1, "├─ "), ("d", 2, "│  └─ "), ("c", 1, "└─ "), ("e", 0, "")]
    assert [r["tree_has_children"] for r in tree] == [True, True, False, False, False]
    assert tree[0] is not entries[0] and "depth" not in entries[0]  # shallow copies


def test_families_by_their_newest_member_and_asc_reverses():
    entries = [row("old", updated=1), row("fork", "old", 9), row("mid", updated=5)]
    assert [r["id"] for r in session_tree(entries)] == ["old", "fork", "mid"]
    assert [r["id"] for r in session_tree(entries, order="asc")] == ["mid", "old", "fork"]


def test_an_unknown_parent_makes_a_root_and_cycles_end():
    tree = session_tree([row("x", "gone", 1), row("p", "q", 2), row("q", "p", 3)])
    assert {r["id"] for r in tree} == {"x", "p", "q"} and all(r["depth"] >= 0 for r in tree)
    assert [r["depth"] for r in tree if r["id"] == "x"] == [0]
