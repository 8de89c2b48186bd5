"""Streaming latency of the OpenAI-compatible provider in a fresh process.

Starts the loopback server (tests/provider_server.py), then runs, each in a new Python:
  floor    `python -c "pass"` and `python -c "import httpx"` (wall time)
  stream   import smelt_repl.providers, make the provider, stream a 60-piece reply:
           time to first delta and total wall time, both from process spawn.
Prints the median of several runs. Usage: python bench/bench_provider.py [runs]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.provider_server import ProviderServer  # noqa: E402

CHILD = """
import sys, threading, time
from smelt_repl.providers import ChatRequest, TextDelta, make_provider, parse_provider_spec, resolve_model
spec = parse_provider_spec("loop", {"kind": "openai-compatible", "api_base": sys.argv[1]})
provider = make_provider(resolve_model("loop/bench", None, {"loop": spec}), env={})
first = None
for event in provider.stream(ChatRequest("bench", "", [{"role": "user", "content": "hi"}]), threading.Event()):
    if first is None and isinstance(event, TextDelta):
        first = time.time()
print(first, time.time())
"""


def wall(args: list[str]) -> float:
    started = time.time()
    subprocess.run(args, check=True, capture_output=True)
    return time.time() - started


def stream_once(api_base: str) -> tuple[float, float]:
    started = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, api_base], check=True, capture_output=True,
                         text=True, cwd=ROOT)
    first, end = (float(x) for x in out.stdout.split())
    return first - started, end - started


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with ProviderServer() as server:
        server.script(text=" ".join(f"word{i}" for i in range(60)))
        wall([sys.executable, "-c", "import smelt_repl.providers, httpx"])  # warm the disk cache
        python = [wall([sys.executable, "-c", "pass"]) for _ in range(runs)]
        httpx = [wall([sys.executable, "-c", "import httpx"]) for _ in range(runs)]
        streams = [stream_once(server.openai_base) for _ in range(runs)]
    ms = lambda values: f"{statistics.median(values) * 1000:7.1f} ms"  # noqa: E731
    print(f"runs: {runs} (medians)")
    print(f"floor   python -c pass            {ms(python)}")
    print(f"floor   python -c 'import httpx'  {ms(httpx)}")
    print(f"stream  time to first delta       {ms([f for f, _ in streams])}")
    print(f"stream  total (60 pieces + usage) {ms([t for _, t in streams])}")


if __name__ == "__main__":
    main()
