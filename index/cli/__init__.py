"""The `footnote` command line: the parser, the index/status/ask commands and the terminal view.
`eval`, `serve` and `bot` plug in (the last two through entry points, so that index/ never
imports api/ or bot/)."""

from __future__ import annotations

from index.cli.main import EXIT_FATAL, EXIT_OK, EXIT_PARTIAL, build_parser, iso_date, main

__all__ = ["EXIT_FATAL", "EXIT_OK", "EXIT_PARTIAL", "build_parser", "iso_date", "main"]
