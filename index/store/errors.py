"""The index's own errors; each message names the problem and the fix."""

from __future__ import annotations


class IndexError_(RuntimeError):
    """Base of the index's own errors."""


class IndexMissing(IndexError_):
    pass


class IndexMismatch(IndexError_):
    pass


class IndexCorrupt(IndexError_):
    pass
