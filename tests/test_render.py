"""Reply rendering: markdown to terminal lines, streamed or whole."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from smelt_repl.render import StreamRenderer, render_markdown, strip_ansi

ESC = "\x1b"

REPLY_PROSE = """# Getting started

Install the **package** with `pip`, then read the [docs](https://example.com/docs).
Use *italics* or _underscores_, and ~~strike~~ when you change your mind.

## Steps

1. Create a virtualenv:
   ```bash
   python -m venv .venv && . .venv/bin/activate
   ```
2. Install it
   - from PyPI
   - or from a *checkout*:
     continuation of the nested item
3. Run `smelt-repl`

> **Note:** the first run writes a config file.
> > Nested quotes work too.

---

| option | default |
|--------|---------|
| vim    | true    |

That's all: <https://example.com>.
"""

REPLY_CODE = '''Here is the fix:

```python
def parse(text: str) -> list[str]:
    """Split text into words.

    Blank lines inside docstrings keep their colour.
    """
    words = [w for w in text.split() if w]  # drop empties
    return words
```

And the client side:

~~~js
const greet = (name) => {
  /* multi-line
     comment */
  return `hello ${name}`;
};
~~~

```
plain block, no language
```
'''

REPLY_UNCLOSED = """Run this:

```sh
for f in *.txt; do
  echo "$f"
done"""

REPLY_CRLF = "# Title\r\n\r\n- one\r\n- two **bold**\r\n\r\n```python\r\nx = 1\r\n```\r\n"

REPLIES = [REPLY_PROSE, REPLY_CODE, REPLY_UNCLOSED, REPLY_CRLF]


def stream(text: str, deltas: list[str], **options: object) -> str:
    renderer = StreamRenderer(**options)  # type: ignore[arg-type]
    return "".join(renderer.feed(d) for d in deltas) + renderer.finish()


def random_split(text: str, rng: random.Random, max_size: int = 12) -> list[str]:
    deltas, i = [], 0
    while i < len(text):
        size = rng.randint(1, max_size)
        deltas.append(text[i : i + size])
        i += size
    return deltas


def plain(text: str, width: int = 80) -> list[str]:
    return render_markdown(text, width=width, color=False).splitlines()


# --- block structure -------------------------------------------------------------------


def test_heading_is_styled_in_colour_and_keeps_hashes_in_plain() -> None:
    out = render_markdown("## Install *now*\n")
    assert "##" not in out
    assert f"{ESC}[0;1;35mInstall " in out
    assert strip_ansi(out) == "Install now\n"
    assert plain("## Install *now* ##") == ["## Install now"]


def test_emphasis_markers_become_styles() -> None:
    out = render_markdown("a **bold** b *it* c _it2_ d ~~gone~~ e")
    assert f"{ESC}[0;1mbold" in out
    assert f"{ESC}[0;3mit" in out and f"{ESC}[0;3mit2" in out
    assert f"{ESC}[0;9mgone" in out
    assert strip_ansi(out) == "a bold b it c it2 d gone e\n"


def test_unbalanced_and_intraword_markers_stay_literal() -> None:
    text = "snake_case_name and 2 * 3 * 4 and **open"
    assert plain(text) == [text]


def test_inline_code_is_coloured_and_keeps_backticks_in_plain() -> None:
    out = render_markdown("call `f(**kw)` now")
    assert f"{ESC}[0;36mf(**kw)" in out
    assert plain("call `f(**kw)` now") == ["call `f(**kw)` now"]


def test_links_show_text_then_dimmed_url_once() -> None:
    out = render_markdown("see [the docs](https://x.org/a) or <https://y.org>")
    assert f"{ESC}[0;4;34mthe docs{ESC}[0;2m (https://x.org/a)" in out
    assert strip_ansi(out) == "see the docs (https://x.org/a) or https://y.org\n"


def test_lists_nest_by_indentation_and_wrap_under_their_text() -> None:
    text = "- top\n  - nested\n    more of nested\n1. first\n10. tenth item " + "word " * 20
    lines = plain(text, width=40)
    assert lines[:4] == ["• top", "  ◦ nested", "    more of nested", "1. first"]
    assert lines[4].startswith("10. tenth item word")
    assert all(line.startswith("    word") for line in lines[5:]) and len(lines) > 5
    assert all(len(line) <= 40 for line in lines)


def test_task_list_items() -> None:
    assert plain("- [ ] todo\n- [x] done") == ["• ☐ todo", "• ☑ done"]


def test_blockquote_gets_a_bar_per_level() -> None:
    assert plain("> quoted **text**\n> > deeper") == ["│ quoted text", "│ │ deeper"]
    assert f"{ESC}[0;2;32m│ " in render_markdown("> q")


def test_horizontal_rules_span_the_width() -> None:
    for rule in ("---", "***", "_ _ _"):
        assert plain(rule, width=30) == ["─" * 30]


def test_paragraphs_wrap_at_width_without_splitting_words() -> None:
    url = "https://a.very.long/url/that/does/not/fit/in/the/width/at/all"
    text = "lorem ipsum dolor " * 10 + url
    lines = plain(text, width=30)
    assert all(len(line) <= 30 for line in lines[:-1])
    assert lines[-1] == url
    assert " ".join(lines) == text


def test_width_zero_disables_wrapping() -> None:
    text = "word " * 100
    assert plain(text.strip(), width=0) == [text.strip()]


def test_pipes_without_a_delimiter_row_stay_plain_text() -> None:
    text = "| a | b |\n| `1` | **2** |\nx | y"
    assert plain(text) == text.splitlines()


# --- fenced code ----------------------------------------------------------------------


def code_lines(out: str, first: str, last: str) -> list[str]:
    lines = out.splitlines()
    start = [strip_ansi(line) for line in lines].index(first)
    end = [strip_ansi(line) for line in lines].index(last, start + 1)
    return lines[start + 1 : end]


def test_fenced_code_is_highlighted_line_by_line_and_text_is_intact() -> None:
    out = render_markdown(REPLY_CODE, width=20)
    python = code_lines(out, "```python", "```")
    source = REPLY_CODE.split("```python\n")[1].split("\n```")[0].splitlines()
    assert [strip_ansi(line) for line in python] == source  # verbatim, not wrapped at 20
    assert ESC in python[0] and ESC in python[6]
    assert python[0].startswith(f"{ESC}[38;5;81mdef")  # keyword colour
    js = code_lines(out, "~~~js", "~~~")
    assert [ESC in line for line in js] == [True, False, True, True, False]  # "};" is uncoloured
    assert js[2].startswith(f"{ESC}[38;5;245m")  # the comment's second line, known as comment


def test_lexer_state_carries_across_lines() -> None:
    out = render_markdown(REPLY_CODE)
    python = code_lines(out, "```python", "```")
    string_colour = python[1].split('"""')[0].strip()  # escape code opening the docstring
    assert string_colour.startswith(ESC)
    assert python[3].lstrip().startswith(string_colour)  # after a blank line, still docstring
    assert python[4].lstrip().startswith(string_colour)  # the closing quotes
    assert not python[5].lstrip().startswith(string_colour)  # code again


def test_string_spanning_lines_is_recognised_when_it_closes() -> None:
    out = render_markdown("```bash\necho 'one\ntwo\nthree'\nls -la\necho 'done'\n```")
    lines = code_lines(out, "```bash", "```")
    string_colour = lines[4].split("'done'")[0].split(" ")[-1]  # escape code before 'done'
    assert string_colour.startswith(ESC)
    assert lines[2] == f"{string_colour}three'{ESC}[39m"  # the closing line, lexed with its opener
    assert lines[3] == "ls -la"


def test_plain_or_unknown_language_code_is_verbatim() -> None:
    out = render_markdown("```nosuchlang\nx = **1**\n```\n```\n  *y*\n```")
    expected = ["```nosuchlang", "x = **1**", "```", "```", "  *y*", "```"]
    assert strip_ansi(out).splitlines() == expected
    assert "x = **1**\n" in out


def test_fence_inside_list_item_is_indented_with_it() -> None:
    lines = plain("1. Run:\n   ```bash\n   ls -la\n       deeper\n   ```\n2. Done")
    assert lines == ["1. Run:", "   ```bash", "   ls -la", "       deeper", "   ```", "2. Done"]


def test_unclosed_fence_is_closed_at_finish() -> None:
    out = render_markdown(REPLY_UNCLOSED)
    assert strip_ansi(out).splitlines()[-2:] == ["done", "```"]
    assert out.endswith(f"{ESC}[0;2m```{ESC}[0m\n")
    assert plain(REPLY_UNCLOSED)[-1] == "```"


def test_code_is_not_markdown() -> None:
    lines = plain("```\n# not a heading\n- not a list\n```")
    assert lines[1:3] == ["# not a heading", "- not a list"]


# --- streaming ------------------------------------------------------------------------


@pytest.mark.parametrize("color", [True, False])
@pytest.mark.parametrize("reply", REPLIES, ids=["prose", "code", "unclosed", "crlf"])
def test_streaming_equals_whole_for_random_splits(reply: str, color: bool) -> None:
    whole = render_markdown(reply, width=50, color=color)
    rng = random.Random(hash((reply[:20], color)) & 0xFFFF)
    for max_size in (1, 2, 4, 16, 200):
        for _ in range(10):
            assert stream(reply, random_split(reply, rng, max_size), width=50, color=color) == whole


def test_streaming_equals_whole_for_random_markdownish_text() -> None:
    rng = random.Random(7)
    alphabet = ["*", "**", "_", "`", "```", "~~~", "#", "> ", "- ", "1. ", "\n", "\r\n"]
    alphabet += [" ", "  ", "a", "word", "[x](y)", "|", "\t", "é", "漢", "\x1b"]
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        width = rng.choice([0, 10, 40])
        deltas = random_split(text, rng, 6)
        assert stream(text, deltas, width=width) == render_markdown(text, width=width)


def test_crlf_renders_like_lf() -> None:
    assert render_markdown(REPLY_CRLF) == render_markdown(REPLY_CRLF.replace("\r\n", "\n"))


def test_feed_releases_only_complete_lines() -> None:
    renderer = StreamRenderer()
    assert renderer.feed("# Tit") == ""
    assert renderer.feed("le\nsome **bo") == f"{ESC}[0;1;4;35mTitle{ESC}[0m\n"
    assert renderer.feed("ld** text") == ""
    out = renderer.feed("\n```py\nx = 1")
    assert strip_ansi(out) == "some bold text\n```py\n"
    assert strip_ansi(renderer.finish()) == "x = 1\n```\n"
    assert renderer.finish() == ""


def test_a_width_function_is_asked_again_for_every_delta() -> None:
    columns = [80]
    renderer = StreamRenderer(width=lambda: columns[0], color=False)
    sentence = "words that wrap somewhere " * 3
    assert renderer.feed(sentence + "\nmore " + sentence) == sentence.rstrip() + "\n"
    columns[0] = 30  # the terminal was resized: what is not printed yet wraps at 30
    rest = (renderer.feed("\n") + renderer.finish()).splitlines()
    assert len(rest) > 2 and max(map(len, rest)) <= 30
    assert " ".join(rest) == ("more " + sentence).strip()


def test_every_feed_output_is_whole_lines() -> None:
    rng = random.Random(3)
    renderer = StreamRenderer(width=30)
    for delta in random_split(REPLY_PROSE + REPLY_CODE, rng, 5):
        out = renderer.feed(delta)
        assert out == "" or out.endswith("\n")
    assert renderer.finish() == ""  # the text ended with a newline and closed its fences


# --- plain mode and robustness --------------------------------------------------------


@pytest.mark.parametrize("reply", REPLIES)
def test_plain_mode_has_no_escape_codes(reply: str) -> None:
    out = render_markdown(reply, color=False)
    assert ESC not in out
    assert "**" not in out


def test_escape_sequences_in_the_reply_cannot_reach_the_terminal() -> None:
    out = render_markdown("evil \x1b]0;title\x07 \x1b[2J text\n```\n\x1b[31mred\n```", color=False)
    assert ESC not in out and "\x07" not in out
    assert "\ufffd[2J text" in out


def test_weird_input_never_raises() -> None:
    rng = random.Random(11)
    samples = [
        "",
        "\n\n\n",
        "*" * 5000,
        "[" * 3000 + "](" * 3000,
        "`" * 999,
        "|" + "-" * 40 + "x",  # once a catastrophic backtrack in the table-rule check
        "x" * 200_000,
        "# " * 1000,
        "> " * 500 + "- " * 500,
        "\ud800 lone surrogate \udfff",
        "\x00\x01\x7f\x9b\x85",
        "```" + "\n" * 10 + "~~~",
        "1. " * 100 + "\n" + "   " * 100 + "```python",
    ]
    samples += ["".join(chr(rng.randint(0, 0x2FFF)) for _ in range(300)) for _ in range(30)]
    samples += [bytes(rng.randint(0, 255) for _ in range(300)).decode("latin-1") for _ in range(30)]
    for text in samples:
        for color in (True, False):
            whole = render_markdown(text, width=rng.choice([0, 1, 40]), color=color)
            assert isinstance(whole, str)
            whole.encode("utf-8")  # no lone surrogates left to crash print()


def test_bytes_delta_is_decoded() -> None:
    renderer = StreamRenderer(color=False)
    assert renderer.feed(b"caf\xc3\xa9 **x**\n") == "café x\n"  # type: ignore[arg-type]


def test_import_is_cheap_and_lazy() -> None:
    code = (
        "import sys, smelt_repl.render\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pygments', 'markdown_it'))))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    out = run.stdout
    assert out.strip() == "[]"
