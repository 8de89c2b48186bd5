"""Streaming cost (issue 13.4): a 20,000-token reply from a loopback server that sends it as
fast as it can, through the REPL's real path, against a bare httpx client on the same server.

Run: ``python bench/bench_stream.py``

Each figure is the 20,000-token reply's wall time minus a 1-token reply's (so connection
set-up, session writes and the prompt's redraw cancel out), median of RUNS:
  floor  a bare httpx client: POST, ``iter_lines``, ``json.loads`` of each ``data:`` chunk
  REPL   ``Shell.runner.start(message)`` on a real App (the OpenAI-compatible provider,
         ``--api-base`` the loopback server) until the whole reply has been written through
         the scrollback to a VT100 output on /dev/null, prompt redraws included
Target: REPL / floor <= 1.25.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import report  # noqa: E402
from fast_sse_server import FastSseServer  # noqa: E402

TOKENS = 20_000
RUNS = 7
_DRAINED = "\0drained\0"


def bare_client(server: FastSseServer) -> float:
    """Median seconds of (20k-token minus 1-token) replies read by a bare httpx client."""
    import httpx

    body = {"model": "bench-model", "stream": True, "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": "hello"}]}

    def read(tokens: int) -> float:
        start = time.perf_counter()
        text = []
        with client.stream("POST", server.api_base(tokens) + "/chat/completions", json=body) as resp:
            for line in resp.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    chunk = json.loads(line[6:])
                    for choice in chunk["choices"]:
                        text.append(choice["delta"].get("content") or "")
        assert len(text) >= tokens
        return time.perf_counter() - start

    with httpx.Client() as client:
        return _difference(read)


def repl(server: FastSseServer) -> float:
    """Median seconds of (20k-token minus 1-token) replies through the shell's streaming path."""
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
        started = threading.Event()
        thread = threading.Thread(target=shell.application.run,
                                  kwargs={"pre_run": lambda: (shell.scrollback.attach(), started.set()),
                                          "handle_sigint": False})
        thread.start()
        started.wait()

        def turn(tokens: int) -> float:
            app.api_base = server.api_base(tokens)
            drained.clear()
            start = time.perf_counter()
            shell.runner.start("hello")
            shell.runner.join()
            shell.scrollback.write(_DRAINED)  # printed once everything before it is
            drained.wait()
            elapsed = time.perf_counter() - start
            last = app.session.messages[-1]
            assert last.get("role") == "assistant" and not last.get("error"), last
            return elapsed

        try:
            return _difference(turn)
        finally:
            shell.application.loop.call_soon_threadsafe(shell.application.exit)  # type: ignore[union-attr]
            thread.join()
            shell.scrollback.detach()
            app.shutdown()


def _difference(run) -> float:  # noqa: ANN001 - run(tokens) -> seconds
    """Median over RUNS of run(TOKENS) - run(1), after one warm-up of each."""
    run(1), run(TOKENS)
    return statistics.median(run(TOKENS) - run(1) for _ in range(RUNS))


def main() -> None:
    with FastSseServer() as server:
        floor = bare_client(server)
        ours = repl(server)
    report(f"bare httpx client, {TOKENS:,} - 1 tokens", floor * 1000, "ms")
    report(f"REPL streamed reply, {TOKENS:,} - 1 tokens", ours * 1000, "ms")
    report("streaming ratio (REPL / bare httpx)", ours / floor, "x", target="<= 1.25", ok=ours / floor <= 1.25)


if __name__ == "__main__":
    main()
