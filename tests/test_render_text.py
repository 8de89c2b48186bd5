"""Terminal text in the renderer: cell widths of wide text, and failures that are logged, not raised."""

from __future__ import annotations

import logging

import pytest

from smelt_repl.render import StreamRenderer, failures, inline, render_markdown
from smelt_repl.render.ansi import cell_width

FAMILY = "👨‍👩‍👧"  # man, ZWJ, woman, ZWJ, girl: one emoji on screen


def test_cell_width_counts_terminal_columns() -> None:
    assert cell_width(FAMILY) == 2
    assert cell_width("中文") == 4
    assert cell_width("e\u0301") == 1  # combining accent
    assert cell_width("plain ascii") == 11
    assert cell_width("") == 0


def test_ansi_coloured_text_measures_its_visible_width() -> None:
    assert cell_width("\x1b[1;31m中文\x1b[0m ok") == 7
    assert cell_width("\x1b[31mred\x1b[0m") == 3
    assert cell_width("\x1b]8;;https://example.com\x07link\x1b]8;;\x07") == 4


def test_control_characters_take_no_columns() -> None:
    assert cell_width("a\x00b\x85") == 2
    assert cell_width("中\x7f") == 2


def test_a_line_of_emoji_and_cjk_wraps_at_the_right_column() -> None:
    text = " ".join([FAMILY, "中文"] * 6)  # 2 and 4 columns, one space between
    lines = render_markdown(text, width=20, color=False).splitlines()
    assert lines == [
        " ".join([FAMILY, "中文", FAMILY, "中文", FAMILY]),  # 18 columns; the next word makes 23
        " ".join(["中文", FAMILY, "中文", FAMILY, "中文"]),  # 18
        " ".join([FAMILY, "中文"]),
    ]
    assert [cell_width(line) for line in lines] == [18, 20, 7]


def test_list_items_with_emoji_hang_under_their_text() -> None:
    lines = render_markdown("- " + " ".join([FAMILY] * 12), width=30, color=False).splitlines()
    assert lines[0] == "• " + " ".join([FAMILY] * 9)  # 2 + 9*2 + 8 spaces = 28; a 10th makes 31
    assert lines[1:] == ["  " + " ".join([FAMILY] * 3)]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def render_log(monkeypatch: pytest.MonkeyPatch):
    """Records of the "smelt.render" logger, with the once-per-kind memory cleared."""
    monkeypatch.setattr(failures, "_reported", set())
    handler = _Records()
    logger = logging.getLogger(failures.LOGGER_NAME)
    logger.addHandler(handler)
    monkeypatch.setattr(logger, "level", logging.DEBUG)
    yield handler.records
    logger.removeHandler(handler)


@pytest.mark.parametrize(("parser", "lines"), [
    ("_markdown", ["[one](x)\n", "*two* [2](y)\n", "`three` ~~3~~\n"]),  # markdown-it's lines
    ("simple_spans", ["**one**\n", "*two*\n", "`three`\n"]),  # inline_fast's
])
def test_a_parser_failure_shows_the_line_raw_and_is_logged_once(monkeypatch, render_log, parser, lines) -> None:
    def broken(*_args: object) -> object:
        raise RuntimeError("parser bug")

    monkeypatch.setattr(inline, parser, broken)
    renderer = StreamRenderer(color=False)
    out = "".join(renderer.feed(delta) for delta in lines)
    assert out == "".join(lines)
    assert len(render_log) == 1
    (record,) = render_log
    assert record.name == "smelt.render" and record.levelno == logging.WARNING
    assert "inline markdown" in record.getMessage() and "RuntimeError" in record.getMessage()
    assert record.exc_info is not None and "parser bug" in str(record.exc_info[1])


def test_a_line_renderer_failure_keeps_the_text_and_logs_each_kind_once(monkeypatch, render_log) -> None:
    from smelt_repl.render.blocks import LineRenderer

    errors = iter([ValueError("a"), ValueError("b"), KeyError("c")] * 10)

    def broken(self: LineRenderer, raw: str) -> str:
        raise next(errors)

    monkeypatch.setattr(LineRenderer, "line", broken)
    text = "".join(f"line {n}\n" for n in range(30))
    assert render_markdown(text, color=False) == text
    assert [r.getMessage().split(" (")[1].split(")")[0] for r in render_log] == ["ValueError", "KeyError"]
