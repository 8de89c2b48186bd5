"""Run every benchmark in this folder (``bench_*.py``), one after another.

Usage: ``python bench/run_all.py [NAME ...]`` where NAME filters by file name (e.g. ``sessions``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    wanted = sys.argv[1:]
    failures = 0
    for script in sorted(here.glob("bench_*.py")):
        if wanted and not any(name in script.stem for name in wanted):
            continue
        print(f"== {script.stem}", flush=True)
        failures += subprocess.run([sys.executable, str(script)], cwd=here.parent).returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
