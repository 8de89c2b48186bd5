"""Sessions as a tree of forks (``smelt.session.tree``, the ``:sessions`` picker): each entry
under the one whose ``id`` is its ``parent_id``, depth first, with the gutters to draw it.

Families (a root and every fork below it) are ordered by their newest member, newest first
(``order="asc"``: oldest first); siblings likewise. An entry whose parent is not among the
entries is a root. The function is pure: entries in, shallow copies out.
"""

from __future__ import annotations

from collections.abc import Iterable

BRANCH, LAST, PIPE, BLANK = "├─ ", "└─ ", "│  ", "   "


def session_tree(entries: Iterable[dict], order: str = "desc") -> list[dict]:
    """The entries depth first, each a shallow copy with ``depth``, ``tree_prefix``,
    ``tree_is_last`` and ``tree_has_children``."""
    rows = [dict(entry) for entry in entries]
    ids = {row.get("id") for row in rows}
    children: dict[object, list[dict]] = {}
    for row in rows:
        parent = row.get("parent_id") if row.get("parent_id") in ids and row.get("parent_id") != row.get("id") else None
        children.setdefault(parent, []).append(row)
    newest: dict[object, int] = {}

    def family_newest(row: dict) -> int:
        key = row.get("id")
        if key not in newest:
            newest[key] = 0  # a cycle of parent ids stops here
            own = _updated(row)
            newest[key] = max([own] + [family_newest(child) for child in children.get(key, [])])
        return newest[key]

    out: list[dict] = []
    seen: set[object] = set()

    def visit(row: dict, depth: int, gutters: str, is_last: bool) -> None:
        if row.get("id") in seen:
            return
        seen.add(row.get("id"))
        kids = _sorted(children.get(row.get("id"), []), family_newest, order)
        row.update(depth=depth, tree_is_last=is_last, tree_has_children=bool(kids),
                   tree_prefix=(gutters + (LAST if is_last else BRANCH)) if depth else "")
        out.append(row)
        below = gutters + (BLANK if is_last else PIPE) if depth else ""
        for i, kid in enumerate(kids):
            visit(kid, depth + 1, below, i == len(kids) - 1)

    roots = _sorted(children.get(None, []), family_newest, order)
    for i, root in enumerate(roots):
        visit(root, 0, "", i == len(roots) - 1)
    for row in rows:  # members of a parent-id cycle have no root: list them as roots
        if row.get("id") not in seen:
            visit(row, 0, "", True)
    return out


def _updated(row: dict) -> int:
    value = row.get("updated_at_ms")
    return value if isinstance(value, int) else 0


def _sorted(rows: list[dict], key, order: str) -> list[dict]:  # noqa: ANN001 - a key function
    return sorted(rows, key=key, reverse=order != "asc")
