"""`python -m bridge` is the same program as the `mailbridge` console script."""

from bridge.cli import main

raise SystemExit(main())
