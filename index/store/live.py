"""The live switch: the newest complete generation, re-opened when CURRENT changes."""

from __future__ import annotations

import threading
from pathlib import Path

from index.store import layout
from index.store.generation import Generation


class LiveIndex:
    """The newest complete generation, re-opened when CURRENT changes.

    A caller takes `current()` once per request and keeps using that object, so a
    request that started on one generation finishes on it.
    """

    def __init__(self, index_dir: Path, model: str | None):
        self.index_dir = Path(index_dir)
        self.model = model
        self._lock = threading.Lock()
        self._generation: Generation | None = None

    def current(self) -> Generation:
        name = layout.current_name(self.index_dir)
        generation = self._generation
        if generation is not None and generation.name == name:
            return generation
        with self._lock:
            if self._generation is None or self._generation.name != name:
                self._generation = Generation.open(self.index_dir, self.model)
            return self._generation


def open_live(index_dir: Path, model: str | None, store: str | None = None):
    """The live index the answer path reads: the folder's, or with `store` (milvus://HOST:PORT[/DB])
    the generation a Milvus store's alias names."""
    from index.store.milvus.address import StoreAddressError, is_milvus

    if not store:
        return LiveIndex(index_dir, model)
    if not is_milvus(store):
        raise StoreAddressError(f"store {store!r}: write it as milvus://HOST:PORT[/DB], or leave --store out "
                                "for the local index folder")
    from index.store.milvus.live import MilvusLive

    return MilvusLive.connect(store, model)
