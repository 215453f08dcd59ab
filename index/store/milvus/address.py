"""Where a Milvus store lives (`milvus://HOST:PORT[/DB]`) and what its collections are called.

The rows live in a family of five shared collections, `footnote_fNNNNNN_KIND`, one partition
per segment (index/store/milvus/publish.py). A generation is one small collection of its own,
`footnote_NNNNNN_meta`, listing its segments; the alias `footnote` names the meta collection
of the generation being served.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

SCHEME = "milvus://"
ALIAS = "footnote"  # the served generation's meta collection: the cluster's CURRENT
KINDS = ("chunks", "sentences", "articles", "texts", "terms")  # a family's collections
# A generation's own collections: `meta`; stores published before segments were shared also
# gave each generation the five others, and clean-up still recognises them.
_GENERATION = re.compile(r"^footnote_(\d{6})_(meta|" + "|".join(KINDS) + r")$")
_FAMILY = re.compile(r"^footnote_(f\d{6})_(" + "|".join(KINDS) + r")$")


class StoreAddressError(ValueError):
    """A --store value that names no store Footnote can use."""


@dataclass(frozen=True)
class MilvusAddress:
    host: str
    port: int
    db: str = "default"

    @property
    def uri(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __str__(self) -> str:
        return f"{SCHEME}{self.host}:{self.port}/{self.db}"


def is_milvus(store: str | None) -> bool:
    return bool(store) and str(store).startswith(SCHEME)


def parse_address(store: str) -> MilvusAddress:
    """`milvus://HOST:PORT[/DB]` as an address; the message names the fix otherwise."""
    parts = urlsplit(store)
    try:
        port = parts.port
    except ValueError:
        port = None
    db = parts.path.strip("/") or "default"
    if parts.scheme != "milvus" or not parts.hostname or port is None or "/" in db:
        raise StoreAddressError(f"store {store!r}: write it as milvus://HOST:PORT or milvus://HOST:PORT/DB "
                                "(e.g. milvus://127.0.0.1:19530), or leave --store out for the local index folder")
    return MilvusAddress(parts.hostname, port, db)


KEEPALIVE = {"grpc.keepalive_time_ms": 300_000, "grpc.keepalive_timeout_ms": 20_000,
             "grpc.keepalive_permit_without_calls": 0}


def connect(address: MilvusAddress):
    """A client on the address's database, created on first use."""
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise StoreAddressError(f"store {address}: the Milvus client is not installed; "
                                "install it with `pip install 'footnote[scale]'`") from None
    # pymilvus pings every 10 s, idle or not; a server that allows fewer pings (gRPC's default:
    # one per 5 minutes without data, as Milvus Lite's server keeps it) answers GOAWAY "too many
    # pings" and the client's next call fails. Ping when a call is waiting, and no more often
    # than that policy allows.
    client = MilvusClient(uri=address.uri, grpc_options=KEEPALIVE)
    if address.db != "default":
        if address.db not in client.list_databases():
            client.create_database(address.db)
        client.use_database(address.db)
    return client


def is_lite(client) -> bool:
    """Whether the server is Milvus Lite, which loads and releases whole collections only."""
    return str(client.get_server_version()).startswith("milvus_lite")


def meta_name(generation: str) -> str:
    """The collection that holds a generation: its manifest, segments and tombstones."""
    return f"footnote_{generation}_meta"


def family_names(family: str) -> dict[str, str]:
    """The shared collections of a family (`f000001`), by kind."""
    return {kind: f"footnote_{family}_{kind}" for kind in KINDS}


def generation_of(collection: str) -> str | None:
    """The generation a collection belongs to (None for collections that are no generation's)."""
    found = _GENERATION.match(collection)
    return found.group(1) if found else None


def family_of(collection: str) -> str | None:
    """The family a shared collection belongs to (None for the others)."""
    found = _FAMILY.match(collection)
    return found.group(1) if found else None
