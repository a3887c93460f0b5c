"""`python -m fgs`: the `fgs` command."""

from fgs.cli import main

raise SystemExit(main())
