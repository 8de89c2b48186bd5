"""Headless one-shot latency of the real CLI, against `python -c "import httpx"` as the floor.

Each run is a fresh `python -m smelt_repl -p hello` with XDG dirs in a temp folder and no
SMELT_MODEL / OPENAI_API_KEY, so no user config or session history leaks in:
  loopback  `--api-base <loopback server> --model bench-model`: time to the first byte of the
            reply on stdout and to process exit, both from spawn
  offline   no flags (the built-in offline responder): time to process exit
  floor     `python -c "import httpx"`: time to process exit
Prints medians. Usage: python bench/bench_headless.py [runs]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import report  # noqa: E402

from tests.provider_server import ProviderServer  # noqa: E402

HEADLESS = [sys.executable, "-m", "smelt_repl", "-p", "hello"]
FLOOR = [sys.executable, "-c", "import httpx"]
REPLY = " ".join(f"word{i}" for i in range(60))


def clean_env(home: Path) -> dict[str, str]:
    """The current environment without model settings, with XDG state and config under ``home``."""
    env = {k: v for k, v in os.environ.items() if k not in ("SMELT_MODEL", "OPENAI_API_KEY")}
    env.update(XDG_STATE_HOME=str(home / "state"), XDG_CONFIG_HOME=str(home / "config"))
    return env


def timed_run(args: list[str], env: dict[str, str]) -> tuple[float | None, float]:
    """Spawn ``args``; return (seconds to the first stdout byte or None, seconds to exit)."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = None
    out = bytearray()
    while chunk := os.read(proc.stdout.fileno(), 65536):  # unbuffered: see each write as it lands
        if first is None:
            first = time.perf_counter() - started
        out += chunk
    err = proc.stderr.read()
    code = proc.wait()
    total = time.perf_counter() - started
    proc.stdout.close()
    proc.stderr.close()
    if code != 0:
        raise SystemExit(f"{' '.join(args[1:])} exited {code}: {err.decode(errors='replace').strip()}")
    return first, total


def medians(args: list[str], env: dict[str, str], runs: int) -> tuple[float | None, float]:
    """Median first-byte and total times in ms over ``runs`` runs, after one warm-up run."""
    timed_run(args, env)  # warm the disk and bytecode caches, create the XDG dirs
    samples = [timed_run(args, env) for _ in range(runs)]
    firsts = [f for f, _ in samples if f is not None]
    first = statistics.median(firsts) * 1000 if firsts else None
    return first, statistics.median(t for _, t in samples) * 1000


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    with tempfile.TemporaryDirectory(prefix="smelt-bench-") as tmp:
        env = clean_env(Path(tmp))
        with ProviderServer() as server:
            server.script(text=REPLY, usage={"input": 12, "output": 60})
            loop_args = HEADLESS + ["--api-base", server.openai_base, "--model", "bench-model"]
            loop_first, loop_total = medians(loop_args, env, runs)
        _, offline_total = medians(HEADLESS, env, runs)
        _, floor = medians(FLOOR, env, runs)
    print(f"runs: {runs} (medians, from process spawn)", flush=True)
    report("headless loopback: first byte of reply", loop_first or float("nan"), "ms")
    report("headless loopback: total", loop_total, "ms")
    report("headless offline: total", offline_total, "ms")
    report('floor: python -c "import httpx"', floor, "ms")
    report("headless loopback total / floor", loop_total / floor, "x")
    report("headless loopback total = floor + N", loop_total - floor, "ms")
    report("headless offline total / floor", offline_total / floor, "x")
    report("headless offline total = floor + N", offline_total - floor, "ms")


if __name__ == "__main__":
    main()
