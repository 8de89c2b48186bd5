"""Shell benchmarks: start-up to the first drawn prompt, and streamed-reply throughput.

Run: ``python bench/bench_startup.py``

1. Start-up: ``python -m smelt_repl`` is spawned on a pseudo-terminal (answering the
   cursor-position requests prompt_toolkit sends) and timed until the status line's first
   bytes arrive; compared with a bare ``python -c "import prompt_toolkit"`` process.
   Median of 10 runs each, interleaved; target ratio <= 1.3 with an empty config (issue 13).
2. Throughput: a ~10,000-token markdown reply streamed in ~4-character deltas through the
   shell's real output path (turn runner → StreamRenderer → Scrollback → run_in_terminal
   of a running Application) to a null terminal; tokens/s.
"""

from __future__ import annotations

import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import report, running_shell  # noqa: E402

RUNS = 10
PROMPT_MARK = b"INSERT"  # the status line's mode, drawn with the first prompt
CPR_REQUEST, CPR_ANSWER = b"\x1b[6n", b"\x1b[1;1R"


def spawn_until_prompt(env: dict[str, str], cwd: str) -> float:
    """Seconds from spawning the REPL on a pty to the first drawn prompt (then it is closed)."""
    return spawn_measured(env, cwd)[0]


class Spawned(NamedTuple):
    """One start of the REPL: wall seconds to the first drawn prompt, the process's peak
    resident memory (KiB) and its CPU seconds up to then (load on the machine barely moves
    the CPU time, while it stretches the wall time)."""

    seconds: float
    peak_kib: int
    cpu_seconds: float
    then_seconds: float | None = None  # to the bytes ``then`` (asked for) after the prompt
    then_peak_kib: int | None = None  # the peak memory then


def spawn_measured(env: dict[str, str], cwd: str, args: tuple[str, ...] = (),
                   timeout: float = 10, then: bytes | None = None, typed: bytes = b"") -> Spawned:
    """Seconds from spawning ``smelt_repl ARGS`` on a pty to its first drawn prompt, and the
    process's peak resident memory in KiB up to then (it is closed at the prompt). With
    ``then``, it is closed once those bytes follow the prompt and it is drawn again, and the
    time and peak memory until then are measured too; ``typed`` is typed at the first prompt
    (keys wait for the work deferred until after the first frame: with ``then`` its echo
    tells when that work is done)."""
    master, slave = pty.openpty()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "smelt_repl", *args], stdin=slave, stdout=slave, stderr=slave,
                            env=env, cwd=cwd, close_fds=True, start_new_session=True)
    os.close(slave)
    seen = b""
    elapsed = then_seconds = None
    try:
        deadline = start + timeout
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([master], [], [], 0.01)
            if not ready:
                continue
            chunk = os.read(master, 65536)
            if CPR_REQUEST in chunk:
                os.write(master, CPR_ANSWER)
            seen = seen[-64:] + chunk
            if elapsed is None and PROMPT_MARK in seen:
                elapsed = time.perf_counter() - start
                cpu, peak = cpu_seconds(proc.pid), peak_rss_kib(proc.pid)
                seen = seen[seen.index(PROMPT_MARK):]
                os.write(master, typed)
            if elapsed is not None and then is not None and then in seen:
                seen, then_seconds, then = seen[seen.index(then):], time.perf_counter() - start, None
            redrawn = then_seconds is None or typed or PROMPT_MARK in seen
            if elapsed is not None and then is None and redrawn:
                break  # with ``then`` printed: once the prompt is drawn again below it (the terminal is raw again)
        if elapsed is None or then is not None or not redrawn:
            raise RuntimeError(f"no prompt (or {then!r}) within {timeout} s; output: {seen[-500:]!r}")
        then_peak = peak_rss_kib(proc.pid) if then_seconds is not None else None
        os.write(master, b"\x03\x04" if typed else b"\x04")  # Ctrl-D on the empty prompt (Ctrl-C empties it)
        _drain_until_exit(master, proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return Spawned(elapsed, peak, cpu, then_seconds, then_peak)


def _drain_until_exit(master: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 10
    while proc.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.02)
        if ready:
            try:
                if CPR_REQUEST in os.read(master, 65536):  # a redraw after output asks again
                    os.write(master, CPR_ANSWER)
            except OSError:
                break
    proc.wait(timeout=5)


def peak_rss_kib(pid: int) -> int:
    """The peak resident memory of a running process so far, in KiB (``VmHWM``; unlike the
    rusage of a child, it does not include the parent's memory the child was forked with)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for process {pid}")


def cpu_seconds(pid: int) -> float:
    """CPU time of a running process's main thread so far (``/proc/PID/schedstat``, in ns)."""
    with open(f"/proc/{pid}/schedstat") as schedstat:
        return int(schedstat.read().split()[0]) / 1e9


def bare_import(env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of a whole ``python -c "import prompt_toolkit"`` process."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "import prompt_toolkit"], env=env)
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, "python -c 'import prompt_toolkit' failed"
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def startup() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TERM="xterm-256color", SMELT_MODEL="offline/offline")
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: bytecode is cached, not compiled each run
        for name in ("STATE", "CONFIG", "DATA", "CACHE"):
            env[f"XDG_{name}_HOME"] = os.path.join(tmp, name.lower())
        spawn_until_prompt(env, tmp)  # warm the file cache and bytecode
        bare_import(env)
        samples = [(spawn_measured(env, tmp), bare_import(env)) for _ in range(RUNS)]  # interleaved: same load
        repl = statistics.median(s[0].seconds for s in samples) * 1000
        bare = statistics.median(s[1][0] for s in samples) * 1000
        repl_cpu = statistics.median(s[0].cpu_seconds for s in samples) * 1000
        bare_cpu = statistics.median(s[1][1] for s in samples) * 1000
    report("start-up to first prompt (median of 10)", repl, "ms")
    report('python -c "import prompt_toolkit" (median of 10)', bare, "ms")
    report("start-up ratio", repl / bare, "x", target="<= 1.3", ok=repl / bare <= 1.3)
    report("start-up CPU to first prompt (median of 10)", repl_cpu, "ms")
    report('CPU of python -c "import prompt_toolkit"', bare_cpu, "ms")
    report("start-up CPU ratio (steadier under load)", repl_cpu / bare_cpu, "x", target="<= 1.3",
           ok=repl_cpu / bare_cpu <= 1.3)


_DRAINED = "\0drained\0"


def _offline_app() -> object:
    """An App on a throwaway store, for the shell to be the UI of."""
    import tempfile

    from smelt_repl.app import App
    from smelt_repl.session_core import SessionStore

    return App(SessionStore(tempfile.mkdtemp()), env={})


class _StreamingApp:
    """Stands in for App in the turn runner: streams a fixed reply into the sink."""

    def __init__(self, deltas: list[str]) -> None:
        self.deltas = deltas

    def new_turn(self, content: object, attachments: object = None) -> object:
        from smelt_repl.turn_handle import TurnHandle

        return TurnHandle(content, None)  # type: ignore[arg-type] - no session: nothing is written

    def run_turn(self, turn, sink, on_end=None) -> object:  # noqa: ANN001 - App.run_turn's shape
        from smelt_repl.turn_handle import TurnResult

        for delta in self.deltas:
            sink(delta)
        result = TurnResult(reply="".join(self.deltas))
        if on_end is not None:
            on_end(result)
        turn.ended.set()
        return result

    def take_back_failed_turn(self, turn) -> None:  # noqa: ANN001 - App's shape
        return None


def throughput() -> None:
    from bench_render import CHARS_PER_TOKEN, DELTA_CHARS, build_reply
    from prompt_toolkit.history import InMemoryHistory
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from smelt_repl.shell import Shell
    from smelt_repl.turn_runner import TurnRunner

    reply = build_reply()
    deltas = [reply[i : i + DELTA_CHARS] for i in range(0, len(reply), DELTA_CHARS)]
    tokens = len(reply) / CHARS_PER_TOKEN
    written = [0]

    drained = threading.Event()

    def null_terminal(text: str) -> None:
        written[0] += len(text)
        if _DRAINED in text:
            drained.set()

    with create_pipe_input() as pipe:
        shell = Shell(_offline_app(), None, input=pipe, output=DummyOutput(), write=null_terminal, color=True,
                      history=InMemoryHistory())
        runner = TurnRunner(_StreamingApp(deltas), shell.scrollback, lambda: 100, True, lambda: None)  # type: ignore[arg-type]
        samples = []
        with running_shell(shell):
            for _ in range(3):
                start = time.perf_counter()
                drained.clear()
                runner.start("bench")
                runner.join()
                shell.scrollback.write(_DRAINED)  # printed once everything before it is
                drained.wait()
                samples.append(time.perf_counter() - start)
    seconds = statistics.median(samples)
    report(f"streamed reply through the scrollback ({tokens:,.0f} tokens)", seconds * 1000, "ms")
    report("streaming throughput", tokens / seconds, "tok/s", target=">= 2,000 (fast model speed x 10)",
           ok=tokens / seconds >= 2000)
    assert written[0] > len(reply) / 2, "nothing reached the terminal"


def main() -> None:
    startup()
    throughput()


if __name__ == "__main__":
    main()
