"""The live switch on Milvus: the generation the alias names, re-opened when the alias moves."""

from __future__ import annotations

from index.store.live import Live
from index.store.milvus.address import connect, parse_address
from index.store.milvus.meta import served
from index.store.milvus.reader import MilvusGeneration


class MilvusLive(Live):
    """The generation a Milvus store's alias names (index/store/live.py has the switch)."""

    def __init__(self, client, where: str, model: str | None):
        super().__init__(model)
        self.client, self.where = client, where

    @classmethod
    def connect(cls, store: str, model: str | None) -> MilvusLive:
        address = parse_address(store)
        return cls(connect(address), str(address), model)

    def served_name(self, opened: bool) -> str | None:
        return served(self.client, published=opened)

    def open(self) -> MilvusGeneration:
        return MilvusGeneration.open(self.client, self.where, self.model)
