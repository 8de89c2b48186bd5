"""Allow ``python -m smelt_repl``."""

from smelt_repl.cli import main

raise SystemExit(main())
