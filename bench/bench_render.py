"""Benchmark the reply renderer: a ~10,000-token markdown reply streamed in ~4-char deltas,
and a reply made of tables.

Run: python bench/bench_render.py
Tokens are estimated at 4 characters each (typical for English prose and code).
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Callable

CHARS_PER_TOKEN = 4
TARGET_TOKENS = 10_000
DELTA_CHARS = 4

PYTHON = '''```python
import json
from dataclasses import dataclass, field


@dataclass
class {name}:
    """Holds the state of one {noun}.

    Loaded lazily from disk; saved on every change.
    """

    path: str
    items: list[str] = field(default_factory=list)

    def load(self) -> None:
        with open(self.path, encoding="utf-8") as handle:
            self.items = json.load(handle)["items"]  # may raise KeyError

    def add(self, item: str) -> int:
        if item in self.items:
            raise ValueError(f"duplicate {{item!r}}")
        self.items.append(item)
        return len(self.items)
```
'''

JAVASCRIPT = '''```js
// Fetch the {noun} list and render it.
export async function load{name}(url, {{ retries = 3 }} = {{}}) {{
  for (let attempt = 0; attempt < retries; attempt++) {{
    try {{
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${{response.status}}`);
      /* the API wraps results
         in a data envelope */
      return (await response.json()).data.map((x) => x.{noun});
    }} catch (err) {{
      console.warn(`attempt ${{attempt}} failed`, err);
    }}
  }}
  return [];
}}
```
'''

BASH = '''```bash
#!/usr/bin/env bash
set -euo pipefail
# Rebuild the {noun} cache for {name}.
cache_dir="${{XDG_CACHE_HOME:-$HOME/.cache}}/{noun}"
mkdir -p "$cache_dir"
for file in src/*.json; do
  if [[ -s "$file" ]]; then
    jq -c '.items[]' "$file" >> "$cache_dir/items.jsonl"
  else
    echo "skipping empty $file" >&2
  fi
done
echo "done: $(wc -l < "$cache_dir/items.jsonl") items"
```
'''

WORDS = "the session reply model token stream cache render prompt history turn fork rewind".split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    words[rng.randrange(len(words))] = f"**{rng.choice(WORDS)}**"
    words[rng.randrange(len(words))] = f"`{rng.choice(WORDS)}()`"
    if rng.random() < 0.3:
        link = f"[{rng.choice(WORDS)}](https://example.com/{rng.choice(WORDS)})"
        words[rng.randrange(len(words))] = link
    if rng.random() < 0.4:
        words[rng.randrange(len(words))] = f"*{rng.choice(WORDS)}*"
    return " ".join(words).capitalize() + "."


def _section(rng: random.Random, index: int) -> str:
    name, noun = f"Store{index}", rng.choice(WORDS)
    prose = " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
    items = "\n".join(
        f"- {_sentence(rng)}" + (f"\n  - {_sentence(rng)}" if rng.random() < 0.4 else "")
        for _ in range(4)
    )
    steps = "\n".join(f"{n}. {_sentence(rng)}" for n in range(1, 4))
    code = (PYTHON, JAVASCRIPT, BASH)[index % 3].format(name=name, noun=noun)
    quote = _sentence(rng)
    return f"## {index}. The {noun} layer\n\n{prose}\n\n{items}\n\n{code}\n{steps}\n\n> {quote}\n\n"


def build_reply() -> str:
    """A deterministic markdown reply of about TARGET_TOKENS tokens."""
    rng = random.Random(2024)
    parts = ["# Design notes\n\n"]
    index = 0
    while sum(map(len, parts)) < TARGET_TOKENS * CHARS_PER_TOKEN:
        index += 1
        parts.append(_section(rng, index))
    return "".join(parts)


def build_table_reply() -> str:
    """A reply of tables only: 40 tables of 25 rows, 4 columns, some cells long enough to wrap."""
    rng = random.Random(7)
    tables = []
    for index in range(40):
        rows = [f"| {n} | {rng.choice(WORDS)} | `{rng.choice(WORDS)}()` | {_sentence(rng)} |" for n in range(25)]
        tables.append(f"Table {index}:\n\n| # | name | call | note |\n|--:|:--|:-:|--|\n" + "\n".join(rows) + "\n\n")
    return "".join(tables)


def import_ms() -> float:
    """Cumulative import time of smelt_repl.render in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import smelt_repl.render"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stderr.splitlines()
    last = [line for line in lines if line.rstrip().endswith("smelt_repl.render")][-1]
    return int(last.split("|")[1]) / 1000


def timed(run: Callable[[], str], repeat: int) -> float:
    """Best wall time of `repeat` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    started = time.perf_counter()
    from smelt_repl.render import StreamRenderer, render_markdown

    in_process_import = (time.perf_counter() - started) * 1000
    text = build_reply()
    tokens = len(text) / CHARS_PER_TOKEN
    deltas = [text[i : i + DELTA_CHARS] for i in range(0, len(text), DELTA_CHARS)]
    lines = text.count("\n")
    print(f"reply: {len(text):,} chars ≈ {tokens:,.0f} tokens, {lines:,} lines, {len(deltas):,} deltas")

    def streamed() -> str:
        renderer = StreamRenderer(width=100)
        return "".join(renderer.feed(delta) for delta in deltas) + renderer.finish()

    def whole() -> str:
        return render_markdown(text, width=100)

    runs = [("stream, first (loads pygments, markdown-it)", streamed, 1)]
    runs += [("stream, warm (best of 5)", streamed, 5), ("whole, warm (best of 5)", whole, 5)]
    for label, run, repeat in runs:
        seconds = timed(run, repeat)
        print(f"{label:44s} {seconds * 1000:7.1f} ms {tokens / seconds:10,.0f} tokens/s")
    assert streamed() == whole(), "streamed output differs from whole"
    print("streamed == whole: yes")
    tables = build_table_reply()
    table_deltas = [tables[i : i + DELTA_CHARS] for i in range(0, len(tables), DELTA_CHARS)]

    def streamed_tables() -> str:
        renderer = StreamRenderer(width=100)
        return "".join(renderer.feed(delta) for delta in table_deltas) + renderer.finish()

    seconds = timed(streamed_tables, 5)
    table_tokens = len(tables) / CHARS_PER_TOKEN
    print(f"{'tables 40×25 rows, stream warm (best of 5)':44s} {seconds * 1000:7.1f} ms "
          f"{table_tokens / seconds:10,.0f} tokens/s")
    assert streamed_tables() == render_markdown(tables, width=100), "streamed tables differ from whole"
    fresh = import_ms()
    print(f"import smelt_repl.render: {fresh:.1f} ms fresh interpreter, {in_process_import:.1f} ms here")


if __name__ == "__main__":
    main()
