"""The index on disk: immutable generations (SQLite + vector stores + manifest), the CURRENT
pointer and its live switch, the vector store seam, and the index's errors. Imports only
`corpus` and `index.embed`; no SQL leaves this package."""

from __future__ import annotations

from index.store.errors import IndexCorrupt, IndexError_, IndexMismatch, IndexMissing
from index.store.filters import Filters
from index.store.generation import Generation
from index.store.layout import (DB_FILE, FORMAT_VERSION, MANIFEST_FILE, POINTER, SENTENCE_VECTORS_FILE,
                                VECTORS_FILE, cleanup, current_name, generations_dir, next_name,
                                write_generation)
from index.store.live import LiveIndex
from index.store.vectors import STORES, FaissFlatStore, HalfStore, VectorStore, store_class

__all__ = ["DB_FILE", "FORMAT_VERSION", "MANIFEST_FILE", "POINTER", "SENTENCE_VECTORS_FILE", "STORES",
           "VECTORS_FILE", "FaissFlatStore", "Filters", "Generation", "HalfStore", "IndexCorrupt", "IndexError_",
           "IndexMismatch", "IndexMissing", "LiveIndex", "VectorStore", "cleanup", "current_name",
           "generations_dir", "next_name", "store_class", "write_generation"]
