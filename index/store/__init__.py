"""The index on disk: immutable segments (rows, vector stores, lexicon), generations that list
them with their tombstones, the CURRENT pointer and its live switch, merging, the vector store
seam, and the index's errors. Imports only `corpus` and `index.embed`; no SQL leaves this package.
Merging (`index.store.merge`) is a build's: imported by builds, not by reading."""

from __future__ import annotations

from index.store.errors import IndexCorrupt, IndexUnavailable, IndexMismatch, IndexMissing
from index.store.filters import Filters
from index.store.generation import Generation
from index.store.layout import (FILES_FILE, FORMAT_VERSION, MANIFEST_FILE, POINTER, cleanup, current_name,
                                generations_dir, next_name, next_segment_name, publish, read_files, read_manifest,
                                refresh_files, segments_dir)
from index.store.live import Live, LiveIndex
from index.store.reader import GenerationReader, LiveReader, VectorReader
from index.store.vectors import STORES, FaissFlatStore, HalfStore, VectorStore, store_class

__all__ = ["FILES_FILE", "FORMAT_VERSION", "MANIFEST_FILE", "POINTER", "STORES", "FaissFlatStore", "Filters",
           "Generation", "GenerationReader", "HalfStore", "IndexCorrupt", "IndexUnavailable", "IndexMismatch", "IndexMissing", "Live", "LiveIndex", "LiveReader",
           "VectorReader", "VectorStore", "cleanup", "current_name", "generations_dir", "next_name", "next_segment_name",
           "publish", "read_files", "read_manifest", "refresh_files", "segments_dir", "store_class"]
