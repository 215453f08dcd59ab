"""Where a Milvus store lives (`milvus://HOST:PORT[/DB]`) and what its collections are called.

A generation is six collections named `footnote_NNNNNN_KIND`; the alias `footnote` names the
chunks collection of the generation being served, and its siblings are found by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

SCHEME = "milvus://"
ALIAS = "footnote"  # the served generation's chunks collection: the cluster's CURRENT
KINDS = ("chunks", "sentences", "articles", "texts", "terms", "meta")
_NAME = re.compile(r"^footnote_(\d{6})_(" + "|".join(KINDS) + r")$")


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


def collection_name(generation: str, kind: str) -> str:
    return f"footnote_{generation}_{kind}"


def generation_of(collection: str) -> str | None:
    """The generation a collection belongs to (None for collections that are not Footnote's)."""
    found = _NAME.match(collection)
    return found.group(1) if found else None
