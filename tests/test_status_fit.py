"""The status line on narrow terminals: parts are left out, least important first, and no
word is ever cut; the editing mode always stays."""

from __future__ import annotations

import pytest

from smelt_repl.render.ansi import cell_width
from smelt_repl.status import StatusFacts, status_fragments, status_text

HINT = "press Ctrl-C again to quit (or Ctrl-D)"
FACTS = StatusFacts("anthropic/claude-haiku-4-5", "NORMAL", 1234, 200_000, 0.0123, HINT)
STREAMING = StatusFacts("openai/gpt-4o-mini", "INSERT", 1234, 128_000, 0.5, "streaming · Ctrl-C cancels")


def fitted(facts: StatusFacts, width: int) -> str:
    return "".join(text for _, text in status_fragments(facts, width))


def whole_words(facts: StatusFacts) -> set[str]:
    words = set(status_text(facts).split())
    return words | {word.rsplit("/", 1)[-1] for word in words}


@pytest.mark.parametrize("facts", [FACTS, STREAMING])
@pytest.mark.parametrize("width", [40, 60, 120])
def test_the_line_fits_keeps_the_mode_and_cuts_no_word(facts: StatusFacts, width: int) -> None:
    line = fitted(facts, width)
    assert cell_width(line) <= width
    assert line.startswith(f" {facts.mode} ")
    for word in line.replace("│", " ").split():
        assert word.removesuffix("…") in whole_words(facts), (word, line)


def test_parts_go_least_important_first() -> None:
    assert fitted(STREAMING, 120) == status_text(STREAMING)
    assert fitted(STREAMING, 80) == " INSERT  openai/gpt-4o-mini │ ctx 1.2k/128k │ $0.5000 │ streaming "
    assert fitted(STREAMING, 60) == " INSERT  openai/gpt-4o-mini │ ctx 1.2k/128k │ streaming "
    assert fitted(STREAMING, 45) == " INSERT  openai/gpt-4o-mini │ streaming "
    assert fitted(STREAMING, 34) == " INSERT  gpt-4o-mini │ streaming "
    assert fitted(STREAMING, 12) == " INSERT "


def test_a_hint_is_shortened_by_whole_words() -> None:
    assert fitted(FACTS, 100).endswith("│ press Ctrl-C again to quit… ")
    assert fitted(FACTS, 40).endswith(" press Ctrl-C again to quit… ")


def test_without_a_width_nothing_is_left_out() -> None:
    assert "".join(text for _, text in status_fragments(FACTS)) == status_text(FACTS)
    assert fitted(FACTS, 0) == status_text(FACTS)


def test_the_title_shows_and_goes_first_when_narrow():
    from smelt_repl.status import StatusFacts, status_fragments

    facts = StatusFacts("openai/gpt-4o-mini", "INSERT", 1200, 128000, 0.0123, "", title="Bug hunt in the parser")
    wide = "".join(text for _, text in status_fragments(facts, 120))
    assert "Bug hunt in the parser" in wide and "$0.0123" in wide
    narrow = "".join(text for _, text in status_fragments(facts, 60))
    assert "Bug hunt" not in narrow and "INSERT" in narrow
    long_title = "".join(text for _, text in status_fragments(StatusFacts("m", "INSERT", None, None, 0.0, "",
                                                                           title="x" * 80), 200))
    assert "x" * 29 + "…" in long_title and "x" * 31 not in long_title
