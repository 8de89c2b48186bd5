"""Resuming a long session: time to the first drawn prompt and peak memory.

Run: ``python bench/bench_resume.py``

Sessions of 10,000 and 50,000 messages (alternating user questions and Markdown replies with
code, ~550 bytes a message as stored, 26 MiB at 50k) are written straight to a temp store's transcript files.
``python -m smelt_repl --resume ID`` is spawned on a pseudo-terminal and timed to its first
drawn prompt (see ``bench_startup.spawn_measured``), against a new session
(``python -m smelt_repl``) started the same way, interleaved, median of 9 runs each. Targets
(smelt-repl issue 13): the ratio <= 1.3 at 10k messages and <= 2 at 50k; the peak resident
memory <= a new session's + 2.5 x the transcript's size.

The replayed turns are drawn right after the first frame (before any key is handled; the
rest of the transcript is parsed at the first need): the time until the last reply is on
screen ("tail drawn") is reported beside the same target, and against a new session's time
until its work deferred past the first frame (the Lua host) is done (keys typed at its
prompt are echoed). Peak memory is read at the prompt, and again once ``:history 1`` (typed
at the prompt) has made the whole transcript load, against the new session's with its Lua
host made.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_startup import spawn_measured  # noqa: E402
from common import report  # noqa: E402

from smelt_repl.session_core.ids import new_session_id  # noqa: E402
from smelt_repl.session_core.jsonl import dumps_line  # noqa: E402

RUNS = 9
SIZES = ((10_000, 1.3), (50_000, 2.0))
MEMORY_FACTOR = 2.5
START_MS = 1_700_000_000_000
ECHO = b"zq"  # typed into a new session's first prompt: its echo comes once the deferred work is done
REPLAYED_TURNS = 20  # smelt.settings.replay_turns' default

_REPLY = """Here is how to handle case {i}: read the input once, keep what you need, and write
the result in one pass.

- parse the header first, so a bad file fails early
- keep the **hot loop** free of allocations
- measure before you change anything, and again after
- write the result once, at the end, in one call

```python
def handle_{i}(items):
    total = 0
    for item in items:
        total += item.size
    return total
```

That keeps the memory flat and the time linear in the number of items. If the items come
from a file, stream them instead of reading the whole file: `for line in handle` reads one
line at a time. Check the edge cases too: an empty input, one item, and an item whose size
is zero. A test for each is cheap, and it keeps the next change honest (and the reviewer calm).
"""


def write_session(root: Path, messages: int, cwd: str) -> tuple[str, int]:
    """A session of ``messages`` messages written directly as a transcript; its id and size."""
    session_id = new_session_id()
    folder = root / session_id
    folder.mkdir(mode=0o700, parents=True)
    lines = [dumps_line({"type": "session", "v": 1, "id": session_id, "created_at_ms": START_MS, "cwd": cwd,
                         "parent_id": None, "model": "offline/offline"})]
    for i in range(messages):
        ts = START_MS + i * 1000
        if i % 2 == 0:
            record = {"type": "message", "role": "user", "content": f"question {i}: how should I handle case {i}? The input is a list of records read from disk.",
                      "ts_ms": ts}
        else:
            record = {"type": "message", "role": "assistant", "content": _REPLY.format(i=i), "ts_ms": ts,
                      "model": "offline/offline", "context_tokens": 1000 + i}
        lines.append(dumps_line(record))
    data = b"".join(lines)
    (folder / "transcript.jsonl").write_bytes(data)
    return session_id, len(data)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TERM="xterm-256color", SMELT_MODEL="offline/offline")
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: bytecode is cached
        for name in ("STATE", "CONFIG", "DATA", "CACHE"):
            env[f"XDG_{name}_HOME"] = os.path.join(tmp, name.lower())
        root = Path(tmp, "state", "smelt", "sessions")
        sessions = [(count, target, *write_session(root, count, tmp)) for count, target in SIZES]
        spawn_measured(env, tmp)  # warm the file cache and bytecode
        for count, target, session_id, size in sessions:
            last_reply = f"handle_{count - 1}".encode()  # in the last reply's code
            spawn_measured(env, tmp, ("--resume", session_id), timeout=120)  # first open derives meta.json
            samples = [(spawn_measured(env, tmp, ("--resume", session_id), timeout=120, then=last_reply),
                        spawn_measured(env, tmp, then=ECHO, typed=ECHO)) for _ in range(RUNS)]  # interleaved
            resume = statistics.median(s[0].seconds for s in samples) * 1000
            drawn = statistics.median(s[0].then_seconds for s in samples) * 1000
            new = statistics.median(s[1].seconds for s in samples) * 1000
            resume_cpu = statistics.median(s[0].cpu_seconds for s in samples) * 1000
            new_cpu = statistics.median(s[1].cpu_seconds for s in samples) * 1000
            resume_rss = max(s[0].peak_kib for s in samples) / 1024
            new_rss = statistics.median(s[1].peak_kib for s in samples) / 1024
            mib = size / 2**20
            report(f"--resume {count:,} messages ({mib:.1f} MiB): first prompt", resume, "ms")
            report("new session: first prompt", new, "ms")
            report(f"resume / new at {count:,} messages", resume / new, "x", target=f"<= {target}",
                   ok=resume / new <= target)
            report(f"--resume {count:,}: last turns drawn", drawn, "ms")
            report(f"tail drawn / new at {count:,} messages", drawn / new, "x", target=f"<= {target}",
                   ok=drawn / new <= target)
            ready = statistics.median(s[1].then_seconds for s in samples) * 1000
            report(f"ready for keys: resume (tail drawn) / new (deferred work done, {ready:.0f} ms)", drawn / ready,
                   "x", target=f"<= {target}", ok=drawn / ready <= target)
            report(f"CPU: resume / new at {count:,} (steadier under load)", resume_cpu / new_cpu, "x",
                   target=f"<= {target}", ok=resume_cpu / new_cpu <= target)
            limit = new_rss + MEMORY_FACTOR * mib
            report(f"--resume {count:,}: peak RSS at the prompt (new session {new_rss:.0f} MiB)", resume_rss, "MiB",
                   target=f"<= {limit:.0f} (new + {MEMORY_FACTOR} x transcript)", ok=resume_rss <= limit)
            earlier = f"question {count - 2 * (REPLAYED_TURNS + 1)}:".encode()  # the turn :history 1 shows
            loaded = [spawn_measured(env, tmp, ("--resume", session_id), timeout=120, then=earlier,
                                     typed=b":history 1\r") for _ in range(2)]
            loaded_rss = max(s.then_peak_kib for s in loaded) / 1024
            new_loaded = statistics.median(s[1].then_peak_kib for s in samples) / 1024
            limit = new_loaded + MEMORY_FACTOR * mib
            report(f"--resume {count:,}: peak RSS, all loaded by :history (new session, Lua host made: "
                   f"{new_loaded:.0f} MiB)", loaded_rss, "MiB", target=f"<= {limit:.0f}", ok=loaded_rss <= limit)


if __name__ == "__main__":
    main()
