"""What a build reports (what changed, and how long each phase took), and the two ways it
refuses to finish."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from index.store import IndexUnavailable


class DiskFull(IndexUnavailable):
    """A build ran out of disk; the previous generation keeps serving."""


class EmptyCorpus(IndexUnavailable):
    """The corpus folder holds no articles but the index does: refused unless asked for."""


@dataclass
class BuildSummary:
    added: int = 0
    changed: int = 0
    removed: int = 0
    skipped: list[dict] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # articles kept from the last build: their file went bad
    chunks_embedded: int = 0
    sentences_embedded: int = 0  # sentence vectors rerank passages and pick the quotes
    chunks_total: int = 0
    articles_total: int = 0
    generation: str | None = None
    up_to_date: bool = False
    model: str = ""
    # Seconds per phase (Phases' names), in the order they first ran, and for the whole build.
    phases_s: dict[str, float] = field(default_factory=dict)
    total_s: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


class Phases:
    """How long each phase of a build took: `with phases("embed"): ...` adds its seconds to
    that phase's (a phase may run more than once). Phases never nest, so they add up to no
    more than the build.

    The phases: read (files parsed into articles), chunk (sentences and chunks), embed (the
    vector cache and the embedder), rows (SQLite), vectors (the chunk store, chosen and saved,
    and the sentence store), lexicon (postings, sentence terms, MinHash), sync (checksums and
    fsync of the new segment), merge, publish (the generation's manifest, CURRENT, cleanup).
    """

    def __init__(self):
        self.started = time.perf_counter()
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def stamp(self, summary: BuildSummary) -> BuildSummary:
        """The summary with the phases' times and the total so far, to the tenth of a millisecond:
        phases rounded down and the total up, so that they still add up to no more than it."""
        summary.phases_s = {name: math.floor(s * 1e4) / 1e4 for name, s in self.seconds.items()}
        summary.total_s = math.ceil((time.perf_counter() - self.started) * 1e4) / 1e4
        return summary
