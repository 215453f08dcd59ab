"""Where generations are built to and served from: the local index folder, or a Milvus server
(`milvus://HOST:PORT[/DB]`, with the index folder as the builder's working folder). Every entry
point (the CLI, `footnote eval`, the API, the bot and its build worker) opens its store here,
once, and then only calls it: none of them asks which kind it is.

    store = open_store(index_dir, address)   # address: None for the folder
    store.live(model)       # the served generation, following new ones (the answer path)
    store.current(model)    # the served generation, opened now (one-off reads)
    store.served()          # the served generation's manifest, without opening it (status)
    store.build(corpus, embedder, wait_s, **options)  # bring it up to date; a BuildSummary
    store.where             # what to show: the folder, or the address (never a password)
    store.address           # what opens it again elsewhere: open_store(index_dir, store.address)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from index.store import Generation, LiveIndex
from index.store.reader import GenerationReader, LiveReader

if TYPE_CHECKING:  # a build's machinery is imported by build() alone: reading a store needs none of it
    from index.build import BuildSummary
    from index.embed import Embedder


class Store(Protocol):
    where: str
    address: str  # "" for the index folder

    def live(self, model: str | None) -> LiveReader: ...

    def current(self, model: str | None = None) -> GenerationReader: ...

    def served(self) -> dict: ...

    def build(self, corpus_dir: Path, embedder: Embedder, wait_s: float = 0.0, **options) -> BuildSummary: ...


class FolderStore:
    """Generations in the index folder: CURRENT names the served one."""

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self.where = str(self.index_dir)
        self.address = ""

    def live(self, model: str | None) -> LiveIndex:
        return LiveIndex(self.index_dir, model)

    def current(self, model: str | None = None) -> Generation:
        return Generation.open(self.index_dir, model)

    def served(self) -> dict:
        return Generation.served_manifest(self.index_dir)

    def build(self, corpus_dir: Path, embedder: Embedder, wait_s: float = 0.0, **options) -> BuildSummary:
        """`wait_s` is for stores shared between machines; in a folder, builds take turns by its lock."""
        from index.build import build_index

        return build_index(Path(corpus_dir), self.index_dir, embedder, **options)


class MilvusStore:
    """Generations on a Milvus server: its alias names the served one; builds run in the index
    folder (incrementally, with its vector cache) and publish what the server lacks."""

    def __init__(self, address: str, index_dir: Path):
        from index.store.milvus.address import parse_address

        self.where = self.address = str(parse_address(address))  # StoreAddressError, with the fix, at once
        self.index_dir = Path(index_dir) if index_dir is not None else None

    def live(self, model: str | None) -> LiveReader:
        from index.store.milvus.live import MilvusLive

        return MilvusLive.connect(self.where, model)

    def current(self, model: str | None = None) -> GenerationReader:
        return self.live(model).current()

    def served(self) -> dict:
        with self.current() as generation:  # the generation's record: no rows are read
            return {**generation.manifest, "counts": {"articles": generation.article_count(),
                                                      "chunks": generation.chunk_count()}}

    def build(self, corpus_dir: Path, embedder: Embedder, wait_s: float = 0.0, **options) -> BuildSummary:
        from index.milvus_build import build_into_milvus

        if self.index_dir is None:
            raise ValueError(f"building into {self.where} needs a working folder: give --index (FOOTNOTE_INDEX)")
        return build_into_milvus(self.where, Path(corpus_dir), self.index_dir, embedder, wait_s, **options)


def open_store(index_dir: Path | None, address: str | None = None) -> Store:
    """The store at `address` (milvus://HOST:PORT[/DB]) or, without one, the index folder."""
    if not address:
        return FolderStore(index_dir)
    from index.store.milvus.address import StoreAddressError, is_milvus

    if not is_milvus(address):
        raise StoreAddressError(f"store {address!r}: write it as milvus://HOST:PORT[/DB], or leave --store out "
                                "for the local index folder")
    return MilvusStore(address, index_dir)
