"""Markdown tables: box borders, aligned columns, cells wrapped to the width, the same
whether the reply streams or is rendered whole."""

from __future__ import annotations

import random

from smelt_repl.render import StreamRenderer, render_markdown, strip_ansi
from smelt_repl.render.ansi import cell_width
from smelt_repl.render.table import MAX_HELD_ROWS, column_widths
from tests.test_render import random_split, stream

TABLE = """\
| option | default | meaning |
|:-------|:-------:|--------:|
| vim    | `true`  | Vim keys on the **prompt** |
| leader | `\\`    | prefix of keymaps |
"""


def plain(text: str, width: int = 80) -> list[str]:
    return render_markdown(text, width=width, color=False).splitlines()


def test_a_table_is_drawn_with_borders_and_aligned_columns() -> None:
    assert plain(TABLE) == [
        "┌────────┬─────────┬────────────────────────┐",
        "│ option │ default │                meaning │",
        "├────────┼─────────┼────────────────────────┤",
        "│ vim    │ `true`  │ Vim keys on the prompt │",
        "│ leader │   `\\`   │      prefix of keymaps │",
        "└────────┴─────────┴────────────────────────┘",
    ]


def test_cells_are_styled_and_borders_dim_in_colour() -> None:
    out = render_markdown(TABLE)
    assert "\x1b[0;1moption" in out  # the header is bold
    assert "\x1b[0;2m┌" in out  # borders are dim
    assert "\x1b[0;1mprompt" in out and "\x1b[0;36mtrue" in out  # inline markup in cells


def test_wide_characters_take_two_cells() -> None:
    lines = plain("| name | x |\n|---|---|\n| 漢字 | 👨‍👩‍👧 |\n| ab | c |")
    assert len({cell_width(line) for line in lines}) == 1, lines
    assert "│ 漢字 │ 👨‍👩‍👧 │" in lines


def test_a_wide_table_wraps_its_cells_at_the_width() -> None:
    text = TABLE.replace("prefix of keymaps", "prefix of keymaps, a long description that goes on and on")
    for width in (40, 50, 60):
        lines = plain(text, width)
        assert max(cell_width(line) for line in lines) <= width
        assert len({cell_width(line) for line in lines}) == 1
        words = " ".join(line.strip("│ ") for line in lines)
        assert "description" in words  # narrow enough for a word, words stay whole


def test_a_word_longer_than_its_column_is_broken() -> None:
    lines = plain("| a | b |\n|---|---|\n| x | " + "y" * 60 + " |", 30)
    assert max(cell_width(line) for line in lines) <= 30
    assert "".join(line.split("│")[2].strip() for line in lines[3:-1]) == "y" * 60


def test_too_narrow_for_columns_draws_rows_as_header_value_lines() -> None:
    lines = plain(TABLE, 20)
    assert lines[:4] == ["option: vim", "default: `true`", "meaning: Vim keys", "  on the prompt"]
    assert max(cell_width(line) for line in lines) <= 20


def test_without_wrapping_columns_take_their_natural_width() -> None:
    long = "word " * 40
    lines = plain(f"| a | b |\n|---|---|\n| 1 | {long} |", width=0)
    assert len(lines) == 5 and long.strip() in lines[3]


def test_rows_are_normalised_to_the_header_and_pipes_can_be_escaped() -> None:
    lines = plain("a | b\n--- | ---\n1 |\n2 | 3 | 4\n`x \\| y` | z")
    assert lines[3] == "│ 1       │   │"
    assert lines[4] == "│ 2       │ 3 │"
    assert lines[5] == "│ `x | y` │ z │"


def test_a_pipe_line_without_a_delimiter_row_is_text() -> None:
    assert plain("a | b\nc | d") == ["a | b", "c | d"]
    assert plain("| a |\n\n|---|") == ["| a |", "", "|---|"]
    assert plain("| a | b |\n|---|") == ["| a | b |", "|---|"]  # cell counts differ


def test_a_table_ends_at_a_line_without_a_pipe() -> None:
    lines = plain("| a |\n|---|\n| 1 |\nafter")
    assert lines[-2:] == ["└───┘", "after"]


def test_a_table_in_a_list_item_is_indented_with_it() -> None:
    lines = plain("- item\n  | a | b |\n  |---|---|\n  | 1 | 2 |")
    assert lines == ["• item", "  ┌───┬───┐", "  │ a │ b │", "  ├───┼───┤", "  │ 1 │ 2 │", "  └───┴───┘"]


def test_rows_are_held_until_the_table_ends() -> None:
    renderer = StreamRenderer(color=False)
    assert renderer.feed("| a | b |\n") == ""  # could be a table's header
    assert renderer.feed("|---|---|\n| 1 | 2 |\n") == ""
    assert renderer.feed("\n").startswith("┌───┬───┐\n│ a │ b │\n")
    assert renderer.feed("| a |\ntext\n") == "| a |\ntext\n"  # no delimiter row followed


def test_a_long_table_is_drawn_as_it_streams_after_the_held_rows() -> None:
    rows = "".join(f"| {i} | row {i} |\n" for i in range(MAX_HELD_ROWS + 5))
    renderer = StreamRenderer(color=False)
    out = renderer.feed("| n | text |\n|---|---|\n" + rows[: rows.index(f"| {MAX_HELD_ROWS} |")])
    assert f"│ {MAX_HELD_ROWS - 1}" in out
    assert renderer.feed(f"| {MAX_HELD_ROWS + 5} | a much longer row than the others |\n").count("\n") >= 1
    rest = renderer.finish()
    assert rest.endswith("┘\n")


def test_streamed_tables_equal_whole_tables() -> None:
    rng = random.Random(5)
    text = "Intro | x\n" + TABLE + "\n- list\n  | a | b |\n  |--|--|\n  | 1 | 2 |\nend | here\n|-|-|\n"
    for width in (0, 20, 40, 80):
        whole = render_markdown(text, width=width)
        for _ in range(20):
            assert stream(text, random_split(text, rng, 7), width=width) == whole


def test_column_widths_share_the_room_fairly() -> None:
    assert column_widths([5, 10], 0) == [5, 10]
    assert column_widths([5, 10], 40) == [5, 10]
    widths = column_widths([4, 50, 50], 60)
    assert widths[0] == 4 and sum(widths) == 60 - 1 - 9 and abs(widths[1] - widths[2]) <= 1
    assert column_widths([20, 20, 20, 20], 20) == []


def test_a_failing_table_shows_its_source(monkeypatch) -> None:
    from smelt_repl.render import table

    def broken(*args: object) -> list[int]:
        raise RuntimeError("boom")

    monkeypatch.setattr(table, "column_widths", broken)
    out = strip_ansi(render_markdown("| a |\n|---|\n| 1 |\nafter"))
    assert out == "| a |\n|---|\n| 1 |\nafter\n"
