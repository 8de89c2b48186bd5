"""Lexers built with lean identifier classes (``render/lean_lexers.py``) tokenise ordinary
code exactly as pygments' own build does."""

from __future__ import annotations

import json
import subprocess
import sys

from smelt_repl.render.code import _lexer_for

SAMPLE = '''import os
from typing import Any

@dataclass(frozen=True)
class Größe(Base):
    """A docstring with ünïcode and a {placeholder}."""
    名前: str = "x"

    def __init__(self, *args: Any, **kw: Any) -> None:
        self.value_2 = f"{args[0]!r:>10} {kw.get('a', 1)}" + b"raw\\n".decode()
        _private, __dunder__ = 0x1F, 1_000.5e-3
        print(len(os.environ), self.__class__.__name__, λ := lambda x: x @ x)
        match command:
            case [Point(x=0), *rest] if rest: pass
'''

STOCK = """
import json, sys
from pygments.lexers import get_lexer_by_name
lexer = get_lexer_by_name("python", stripnl=False, ensurenl=True)
print(json.dumps([[str(kind), text] for kind, text in lexer.get_tokens(sys.stdin.read())]))
"""


def test_python_tokens_match_pygments_own_build() -> None:
    stock = subprocess.run([sys.executable, "-c", STOCK], input=SAMPLE, capture_output=True, text=True,
                           timeout=60, check=True)
    lexer = _lexer_for("python")
    ours = [[str(kind), text] for kind, text in lexer.get_tokens(SAMPLE)]
    assert ours == json.loads(stock.stdout)


def test_the_name_rules_compile_lean() -> None:
    lexer = _lexer_for("python")
    patterns = [rule[0].__self__.pattern for rule in lexer._tokens["name"]]  # noqa: SLF001
    assert any(r"[^\W\d]\w*" in pattern for pattern in patterns)
    assert max(map(len, patterns)) < 1000  # the spelled-out classes are 3,400 characters
