"""The index's own errors; each message names the problem and the fix."""

from __future__ import annotations


class IndexUnavailable(RuntimeError):
    """The index cannot be read: the base of the index's own errors (the API answers them 503)."""


class IndexMissing(IndexUnavailable):
    """No index has been built there yet."""


class IndexMismatch(IndexUnavailable):
    """An index built by another model, or by a Footnote whose format this one does not read."""


class IndexCorrupt(IndexUnavailable):
    """A damaged file: a checksum, a size or a vector dimension that is not what was written."""
