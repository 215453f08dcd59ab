"""What a build reports, and the two ways it refuses to finish."""

from __future__ import annotations

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

    def as_dict(self) -> dict:
        return asdict(self)
