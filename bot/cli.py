"""`footnote bot`: registered into the footnote command through an entry point."""


def register(sub, common) -> None:
    """Add the `bot` subcommand (filled in by the bot work)."""
