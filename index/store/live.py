"""The live switch: the generation a store serves now, re-opened when the store publishes a
newer one. One switch for every store: the local index folder (its CURRENT pointer) and Milvus
(its alias, index/store/milvus/live.py) differ only in how they name and open a generation."""

from __future__ import annotations

import threading
from pathlib import Path

from index.store import layout
from index.store.generation import Generation
from index.store.reader import GenerationReader


class Live:
    """The served generation, following the store. A caller takes `current()` once per request
    and keeps using that object, so a request that started on one generation finishes on it."""

    def __init__(self, model: str | None):
        self.model = model
        self._lock = threading.Lock()
        self._generation: GenerationReader | None = None

    def served_name(self, opened: bool) -> str | None:
        """The name of the generation the store serves now (`opened`: one was opened before)."""
        raise NotImplementedError

    def open(self) -> GenerationReader:
        """Open the generation the store serves now."""
        raise NotImplementedError

    def current(self) -> GenerationReader:
        generation = self._generation
        name = self.served_name(generation is not None)
        if generation is not None and generation.name == name:
            return generation
        with self._lock:
            if self._generation is None or self._generation.name != name:
                self._generation = self.open()
            return self._generation


class LiveIndex(Live):
    """The newest complete generation of an index folder, named by its CURRENT pointer."""

    def __init__(self, index_dir: Path, model: str | None):
        super().__init__(model)
        self.index_dir = Path(index_dir)

    def served_name(self, opened: bool) -> str | None:
        return layout.current_name(self.index_dir)

    def open(self) -> Generation:
        return Generation.open(self.index_dir, self.model)
