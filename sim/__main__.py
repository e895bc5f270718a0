"""``python -m sim``: the same command line as ``clause-sim``."""

from .cli import main

raise SystemExit(main())
