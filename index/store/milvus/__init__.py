"""The Milvus store: segments kept once as partitions of shared collections, generations as small
meta collections listing them, published by moving an alias, read through the same methods as a
local generation, built one at a time under a lease kept in Milvus.
pymilvus is imported only when a Milvus store is used (`pip install 'footnote[scale]'`)."""

from __future__ import annotations

from index.store.milvus.address import ALIAS, MilvusAddress, StoreAddressError, connect, is_milvus, parse_address
from index.store.milvus.lease import BuildBusy, Lease
from index.store.milvus.live import MilvusLive
from index.store.milvus.cleanup import drop_unused
from index.store.milvus.meta import next_generation, read_meta, served
from index.store.milvus.publish import holds, switch, write_generation
from index.store.milvus.reader import MilvusGeneration

__all__ = ["ALIAS", "BuildBusy", "Lease", "MilvusAddress", "MilvusGeneration", "MilvusLive", "StoreAddressError",
           "connect", "drop_unused", "holds", "is_milvus", "next_generation", "parse_address", "read_meta", "served",
           "switch", "write_generation"]
