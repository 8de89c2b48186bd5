"""The Lua host's wall: nothing ``smelt_repl.lua_host`` or ``smelt_repl.lua`` imports at run
time, directly or through other modules of the package, reaches prompt_toolkit."""

from __future__ import annotations

import ast

from tests.test_architecture import PACKAGE, _modules, _runtime_imports, import_graph


def _imports_prompt_toolkit(module: str) -> bool:
    tree = ast.parse(_modules()[module].read_text(encoding="utf-8"))
    for node in _runtime_imports(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        if any(name.split(".")[0] == "prompt_toolkit" for name in names if not getattr(node, "level", 0)):
            return True
    return False


def test_the_lua_host_never_reaches_prompt_toolkit():
    graph = import_graph()
    start = [m for m in graph if m == "smelt_repl.lua_host" or m.startswith("smelt_repl.lua.")]
    assert "smelt_repl.lua.api_table" in start and (PACKAGE / "lua_host.py").is_file()
    seen, todo = set(), list(start)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph[module])
    assert not [m for m in sorted(seen) if _imports_prompt_toolkit(m)]
