"""The live switch on Milvus: the generation the alias names, re-opened when the alias moves."""

from __future__ import annotations

import threading

from index.store.milvus.address import connect, parse_address
from index.store.milvus.meta import served
from index.store.milvus.reader import MilvusGeneration


class MilvusLive:
    """As LiveIndex (index/store/live.py), over a Milvus store: a caller takes `current()` once
    per request, so a request that started on one generation finishes on it."""

    def __init__(self, client, where: str, model: str | None):
        self.client, self.where, self.model = client, where, model
        self.index_dir = None  # no local folder
        self._lock = threading.Lock()
        self._generation: MilvusGeneration | None = None

    @classmethod
    def connect(cls, store: str, model: str | None) -> MilvusLive:
        address = parse_address(store)
        return cls(connect(address), str(address), model)

    def current(self) -> MilvusGeneration:
        generation = self._generation
        name = served(self.client, published=generation is not None)
        if generation is not None and generation.name == name:
            return generation
        with self._lock:
            if self._generation is None or self._generation.name != name:
                self._generation = MilvusGeneration.open(self.client, self.where, self.model)
            return self._generation
