"""Exit codes of ``smelt-repl`` and the one-line error every mode ends with."""

from __future__ import annotations

import sys

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def fail(message: str) -> int:
    """Print one error line to stderr and return the runtime-error exit code."""
    print(f"smelt-repl: {message}", file=sys.stderr)
    return EXIT_ERROR
