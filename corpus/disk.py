"""Writing that survives a crash: flushing a file's or a folder's entry to disk. Imports nothing
but the standard library, so the index's layout can use it without loading the parsers."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    """Flush a file's or a folder's entry to disk (a folder: so that a rename in it is durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
