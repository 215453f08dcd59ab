"""What the answer path, the API and the CLI may read from a generation, wherever it is kept:
the one interface both the local generation (index/store/generation.py) and the Milvus one
(index/store/milvus/reader.py) satisfy, and the base they share (OpenedGeneration: values kept
with a generation, `with` to close it). tests/test_index_store_contract.py checks both against
the Protocol, method by method, signature by signature."""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

import numpy as np

from corpus import Article, Chunk
from index.store.filters import Filters


class VectorReader(Protocol):
    """A generation's chunk or sentence vectors, by global id."""

    def count(self) -> int: ...

    def search(self, query: np.ndarray, k: int, subset: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The `k` best (scores, ids) by inner product, within `subset` when given."""

    def vectors(self, ids) -> np.ndarray: ...


@runtime_checkable
class GenerationReader(Protocol):
    """One published generation, opened for reading. Ids are the generation's global ids."""

    name: str
    manifest: dict
    vectors: VectorReader
    sentence_vectors: VectorReader
    fan_out: bool  # whether a question's work is spread over threads (index/store/fanout.py)
    # Whether its questions' work is the asking thread's own Python, which the answerer's
    # threads do taking turns (index/search/lane.py); not when it waits on other threads or a server.
    takes_turns: bool

    def memo(self, key: str, make): ...

    def close(self) -> None: ...

    def __enter__(self): ...

    def __exit__(self, *exc) -> None: ...

    # Articles and counts
    def chunk_count(self) -> int: ...

    def article_count(self) -> int: ...

    def total_chunks(self) -> int: ...

    def article(self, article_id: str) -> Article | None: ...

    def articles(self) -> list[Article]: ...

    def article_text(self, article_id: str) -> str: ...

    def list_articles(self, filters: Filters, offset: int, limit: int, text: str = "",
                      newest_first: bool = False) -> tuple[int, list[dict]]: ...

    def sources(self) -> dict[str, int]: ...

    def article_hashes(self) -> dict[str, tuple[str, str]]: ...

    # Chunks and sentences
    def chunks_of(self, article_ids: list[str]) -> list[Chunk]: ...

    def chunks_in(self, article_id: str) -> int: ...

    def home_segment(self, article_id: str) -> str | None: ...

    def chunk_rows(self, ids: list[int]) -> dict[int, tuple]: ...

    def sentences_within(self, chunk_id: int) -> list[tuple[int, int, int]]: ...

    def sentences_around(self, chunk_id: int, n: int) -> list[tuple[int, int, int]]: ...

    def sentence_coverage(self, sentence_ids: list[int], stems: list[str], weights: np.ndarray) -> np.ndarray: ...

    def minhashes(self, chunk_ids: list[int]) -> np.ndarray: ...

    # Filters and the lexical side
    def chunk_ids(self, filters: Filters) -> np.ndarray: ...

    def search_subset(self, filters: Filters): ...

    def document_frequency(self, stems: list[str]) -> np.ndarray: ...

    def prefix_frequency(self, stems: list[str]) -> np.ndarray: ...

    def lexical(self, terms: list[str], filters: Filters, limit: int) -> list[int]: ...


class LiveReader(Protocol):
    """The generation being served now, switched when a newer one is published. A caller takes
    `current()` once per request and keeps it, so a request finishes on the generation it began on."""

    model: str | None

    def current(self) -> GenerationReader: ...


class OpenedGeneration:
    """What every opened generation shares, local or on Milvus: values derived from it, made on
    first use and kept with it, and `with` to close it."""

    fan_out = False  # whether a question's work is spread over threads (index/store/fanout.py)
    takes_turns = False  # a Milvus generation's questions wait on its server

    def memo(self, key: str, make):
        """A value derived from this generation, made on first use and kept with it."""
        lock = self.__dict__.setdefault("_memo_lock", threading.Lock())  # atomic: one lock wins
        with lock:
            memos = self.__dict__.setdefault("_memos", {})
            if key not in memos:
                memos[key] = make()
            return memos[key]

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release what the generation holds open."""
