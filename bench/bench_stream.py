"""Streaming cost (issue 13.4): a 20,000-token reply from a loopback server that sends it as
fast as it can, through the REPL's real path, against a bare httpx client on the same server.

Run: ``python bench/bench_stream.py``

Each figure is the 20,000-token reply's wall time minus a 1-token reply's (so connection
set-up, session writes and the prompt's redraw cancel out), median of RUNS:
  floor     a bare httpx client: POST, ``iter_lines``, ``json.loads`` of each ``data:`` chunk
  REPL      ``Shell.runner.start(message)`` on a real App (the OpenAI-compatible provider,
            ``--api-base`` the loopback server) until the whole reply has been written through
            the scrollback to a VT100 output on /dev/null, prompt redraws included
  headless  ``smelt-repl -p`` (a fresh process each time) writing the reply to a pipe, from
            spawn to exit (no rendering)
Target: REPL / floor <= 1.25 (the headless one likewise). The same differences in CPU time
of the whole process (every thread: the server's share is one ``sendall``) are printed
beside them: on a machine shared with other work they say what the wall times cannot.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import report, running_shell  # noqa: E402
from fast_sse_server import FastSseServer  # noqa: E402

TOKENS = 20_000
RUNS = 7
_DRAINED = "\0drained\0"
Run = Callable[[int], tuple[float, float]]  # a reply of N tokens -> (wall, CPU) seconds


@contextmanager
def bare_client(server: FastSseServer) -> Iterator[Run]:
    """A reply of N tokens read by a bare httpx client (wall and CPU seconds)."""
    import httpx

    body = {"model": "bench-model", "stream": True, "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": "hello"}]}

    def read(tokens: int) -> tuple[float, float]:
        start, cpu = time.perf_counter(), time.process_time()
        text = []
        with client.stream("POST", server.api_base(tokens) + "/chat/completions", json=body) as resp:
            for line in resp.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    chunk = json.loads(line[6:])
                    for choice in chunk["choices"]:
                        text.append(choice["delta"].get("content") or "")
        assert len(text) >= tokens
        return time.perf_counter() - start, time.process_time() - cpu

    with httpx.Client() as client:
        yield read


@contextmanager
def repl(server: FastSseServer) -> Iterator[Run]:
    """A reply of N tokens through the shell's streaming path (wall and CPU seconds)."""
    from prompt_toolkit.data_structures import Size
    from prompt_toolkit.history import InMemoryHistory
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output.vt100 import Vt100_Output

    from smelt_repl.app import App
    from smelt_repl.session_core import SessionStore
    from smelt_repl.shell import Shell

    root = tempfile.mkdtemp()
    app = App(SessionStore(root), cwd=root, env={}, model_flag="bench-model", api_base=server.api_base(1))
    drained = threading.Event()
    with open(os.devnull, "w", encoding="utf-8") as devnull, create_pipe_input() as pipe:
        terminal = Vt100_Output(devnull, lambda: Size(rows=40, columns=100), term="xterm-256color")

        def write(text: str) -> None:  # Shell._write_terminal, and the end-of-turn mark
            terminal.write_raw(text)
            terminal.flush()
            if _DRAINED in text:
                drained.set()

        shell = Shell(app, None, input=pipe, output=terminal, write=write, color=True, history=InMemoryHistory())

        def turn(tokens: int) -> tuple[float, float]:
            app.api_base = server.api_base(tokens)
            drained.clear()
            start, cpu = time.perf_counter(), time.process_time()
            shell.runner.start("hello")
            shell.runner.join()
            shell.scrollback.write(_DRAINED)  # printed once everything before it is
            drained.wait()
            elapsed = time.perf_counter() - start, time.process_time() - cpu
            last = app.session.messages[-1]
            assert last.get("role") == "assistant" and not last.get("error"), last
            return elapsed

        try:
            with running_shell(shell):
                yield turn
        finally:
            app.shutdown()


@contextmanager
def headless(server: FastSseServer) -> Iterator[Run]:
    """A reply of N tokens by ``smelt-repl -p`` to a pipe, a fresh process spawn to exit
    (wall seconds, and the CPU seconds of that process)."""
    from bench_headless import HEADLESS, ROOT, clean_env

    with tempfile.TemporaryDirectory(prefix="smelt-bench-") as home:
        env = clean_env(Path(home))

        def run(tokens: int) -> tuple[float, float]:
            args = [*HEADLESS, "--api-base", server.api_base(tokens), "--model", "bench-model"]
            before, start = os.times(), time.perf_counter()
            done = subprocess.run(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            elapsed, after = time.perf_counter() - start, os.times()
            assert done.returncode == 0 and len(done.stdout) > tokens, done.stderr
            cpu = (after.children_user + after.children_system) - (before.children_user + before.children_system)
            return elapsed, cpu

        yield run


def _difference(run: Run) -> tuple[float, float]:
    """run(TOKENS) - run(1), wall and CPU seconds."""
    small, big = run(1), run(TOKENS)
    return big[0] - small[0], big[1] - small[1]


def interleaved(*runs: Run) -> list[tuple[float, float]]:
    """For each of ``runs``, the medians over RUNS rounds of its ``_difference`` (wall, CPU),
    the rounds taking every run in turn (so a busy moment of the machine hits them all),
    after one warm-up of each."""
    for run in runs:
        _difference(run)
    rounds = [[_difference(run) for run in runs] for _ in range(RUNS)]
    return [(statistics.median(r[i][0] for r in rounds), statistics.median(r[i][1] for r in rounds))
            for i in range(len(runs))]


def main() -> None:
    with FastSseServer() as server, bare_client(server) as bare, repl(server) as shell, headless(server) as alone:
        (floor, floor_cpu), (ours, ours_cpu), (alone, alone_cpu) = interleaved(bare, shell, alone)
    report(f"bare httpx client, {TOKENS:,} - 1 tokens", floor * 1000, "ms")
    report(f"REPL streamed reply, {TOKENS:,} - 1 tokens", ours * 1000, "ms")
    report(f"headless -p to a pipe, {TOKENS:,} - 1 tokens", alone * 1000, "ms")
    report("streaming ratio (REPL / bare httpx)", ours / floor, "x", target="<= 1.25", ok=ours / floor <= 1.25)
    report("streaming ratio (headless / bare httpx)", alone / floor, "x", target="<= 1.25", ok=alone / floor <= 1.25)
    report(f"CPU: bare httpx client, {TOKENS:,} - 1 tokens", floor_cpu * 1000, "ms")
    report(f"CPU: REPL streamed reply, {TOKENS:,} - 1 tokens", ours_cpu * 1000, "ms")
    report(f"CPU: headless -p (the process), {TOKENS:,} - 1", alone_cpu * 1000, "ms")
    report("CPU ratio (REPL / bare httpx)", ours_cpu / floor_cpu, "x")
    report("CPU ratio (headless / bare httpx)", alone_cpu / floor_cpu, "x")


if __name__ == "__main__":
    main()
