"""`footnote serve`: registered into the footnote command through an entry point."""


def register(sub, common) -> None:
    """Add the `serve` subcommand (filled in by the API work)."""
