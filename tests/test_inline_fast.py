"""The inline parser for code spans and emphasis (``render/inline_fast.py``): CommonMark's
examples, agreement with markdown-it on random lines, and markdown-it left unimported by a
reply that needs nothing else."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from smelt_repl.render import inline
from smelt_repl.render.ansi import BOLD, CODE, ITALIC, Span
from smelt_repl.render.inline_fast import HANDLED, simple_spans


def merged(spans: list[Span]) -> list[Span]:
    """Spans with neighbours of one style joined (how a style's run is split never shows)."""
    out: list[Span] = []
    for style, text in spans:
        if text and out and out[-1][0] == style:
            out[-1] = (style, out[-1][1] + text)
        elif text:
            out.append((style, text))
    return out


def markdown_it_spans(text: str, base: int = 0, ticks: bool = False) -> list[Span]:
    tokens = inline._markdown().parseInline(text)  # noqa: SLF001 - the reference parser
    children = tokens[0].children if tokens else None
    return inline._spans(children, base, ticks) if children else [(base, text)]  # noqa: SLF001


@pytest.mark.parametrize(("text", "expected"), [
    ("*foo bar*", [(ITALIC, "foo bar")]),
    ("a * foo bar*", [(0, "a * foo bar*")]),  # a run followed by whitespace opens nothing
    ("foo*bar*", [(0, "foo"), (ITALIC, "bar")]),  # * splits words
    ("_foo_bar", [(0, "_foo_bar")]),  # _ does not
    ("snake_case_name and __init__", [(0, "snake_case_name and "), (BOLD, "init")]),
    ("***strong emph***", [(BOLD | ITALIC, "strong emph")]),
    ("**foo*", [(0, "*"), (ITALIC, "foo")]),
    ("*foo**bar**baz*", [(ITALIC, "foo"), (ITALIC | BOLD, "bar"), (ITALIC, "baz")]),
    ("foo**bar**baz", [(0, "foo"), (BOLD, "bar"), (0, "baz")]),
    ("*foo**bar*", [(ITALIC, "foo**bar")]),  # the rule of 3
    ("*foo`*`", [(0, "*foo"), (CODE, "*")]),  # code spans bind first
    ("``foo ` bar``", [(CODE, "foo ` bar")]),
    ("` `` `", [(CODE, "``")]),  # one space stripped from each end
    ("`  `", [(CODE, "  ")]),  # ... not from a span of spaces only
    ("```foo``", [(0, "```foo``")]),  # no closing run of the same length
    ("wow!", [(0, "wow!")]),
])
def test_commonmark_examples(text: str, expected: list[Span]) -> None:
    assert HANDLED.fullmatch(text)
    assert merged(simple_spans(text)) == expected
    assert merged(markdown_it_spans(text)) == expected  # the reference agrees


ATOMS = ["*", "**", "***", "****", "_", "__", "___", "`", "``", "```", " ", "  ", "\t", "\xa0", "a", "b", "foo",
         ".", ",", "(", ")", "!", "-", "1", "'", "é", "中", "€", "\u2014", "\u00bf", "x_y", "_x_"]


@pytest.mark.parametrize("seed", range(4))
def test_the_same_spans_as_markdown_it_on_random_lines(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(2500):
        text = "".join(rng.choice(ATOMS) for _ in range(rng.randint(1, 14)))
        base, ticks = rng.choice([0, BOLD]), rng.random() < 0.5
        assert merged(simple_spans(text, base, ticks)) == merged(markdown_it_spans(text, base, ticks)), text


@pytest.mark.parametrize("text", ["[a](b)", "a\\*b", "&amp;", "<http://x>", "~~gone~~", "![i](j)"])
def test_other_markup_goes_to_markdown_it(text: str) -> None:
    assert not HANDLED.fullmatch(text)
    assert merged(inline.inline_spans(text)) == merged(markdown_it_spans(text))


def test_a_reply_of_emphasis_and_code_leaves_markdown_it_unimported() -> None:
    script = (
        "import sys\n"
        "from smelt_repl.render import render_markdown\n"
        "out = render_markdown('Use **bold** and *this* with `code`:\\n\\n- a _b_ c\\n', 80, True)\n"
        "assert '\\x1b[' in out, out\n"
        "print('markdown_it' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "False"
