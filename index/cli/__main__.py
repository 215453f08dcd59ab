"""`python -m index.cli ...` runs the `footnote` command."""

import sys

from index.cli.main import main

sys.exit(main())
