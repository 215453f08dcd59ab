"""One build at a time per Milvus store, across machines: a lease kept in Milvus itself.

Milvus refuses to create an alias that exists, so the alias `footnote_lease` is the lock: a
builder creates a small collection of its own, `footnote_lease_<token>`, holding who it is and
until when, and points the alias at it; a second builder's attempt fails. The holder renews the
lease while it works. A lease not renewed past its time (its builder died) is taken over: the
alias is moved (alter_alias), then read back, so of two builders taking it over at once the one
the alias names after both wrote holds it. Publishing checks the lease is still held first.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid

from index.store.errors import IndexUnavailable
from index.store.milvus.schema import STAND_IN

LEASE = "footnote_lease"
TTL_S = 60.0  # a lease not renewed for this long belongs to a builder that is gone


class BuildBusy(IndexUnavailable):
    """Another builder holds the store's lease."""


class Lease:
    """The store's build lease, held for the length of a `with` block."""

    def __init__(self, client, where: str, wait_s: float = 0.0, ttl_s: float = TTL_S):
        self.client, self.where, self.wait_s, self.ttl_s = client, where, wait_s, ttl_s
        self.token = uuid.uuid4().hex[:16]
        self.mine = f"{LEASE}_{self.token}"
        self.holder = f"{socket.gethostname()} pid {os.getpid()}"
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def __enter__(self) -> Lease:
        self._create_mine()
        deadline = time.monotonic() + self.wait_s
        try:
            while not self._try_take():
                if time.monotonic() >= deadline:
                    holder, until = self._holder()
                    raise BuildBusy(f"another build holds the Milvus store {self.where} ({holder}, lease until "
                                    f"{time.strftime('%H:%M:%S', time.localtime(until))}); wait for it, or run "
                                    f"again with --wait SECONDS; a lease its builder stops renewing expires "
                                    f"after {self.ttl_s:.0f} s")
                time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
        except BaseException:
            self.client.drop_collection(self.mine)
            raise
        self._renewer = threading.Thread(target=self._renew, name="footnote-lease", daemon=True)
        self._renewer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        if self.held():
            self.client.drop_alias(LEASE)
        self.client.drop_collection(self.mine)

    def held(self) -> bool:
        return self._target() == self.mine

    def check(self) -> None:
        """Raise unless this builder still holds the lease (call it right before publishing)."""
        if not self.held():
            raise BuildBusy(f"the build lease on {self.where} was lost (this build stalled past its "
                            f"{self.ttl_s:.0f} s lease and another builder took over); nothing was published")

    def _try_take(self) -> bool:
        target = self._target()
        if target is None:
            from pymilvus.exceptions import MilvusException

            try:
                self.client.create_alias(self.mine, LEASE)
            except MilvusException:  # the alias appeared meanwhile: another builder was faster
                return False
            return self.held()
        if target != self.mine and self._holder()[1] < time.time():
            self.client.alter_alias(self.mine, LEASE)
            time.sleep(0.2)  # let a rival's simultaneous takeover land before reading back
            if self.held():
                self.client.drop_collection(target)  # the lapsed builder's own collection
                return True
            return False
        return target == self.mine

    def _create_mine(self) -> None:
        from pymilvus import DataType

        schema = self.client.create_schema(auto_id=False)
        schema.add_field("key", DataType.VARCHAR, max_length=16, is_primary=True)
        schema.add_field("holder", DataType.VARCHAR, max_length=512)
        schema.add_field("until", DataType.DOUBLE)
        schema.add_field("stand_in", DataType.FLOAT_VECTOR, dim=2)
        params = self.client.prepare_index_params()
        params.add_index("stand_in", index_type="FLAT", metric_type="IP")
        self.client.create_collection(self.mine, schema=schema, index_params=params, consistency_level="Strong")
        self._write_until()

    def _write_until(self) -> None:
        self.client.upsert(self.mine, [{"key": "lease", "holder": self.holder, "until": time.time() + self.ttl_s,
                                        "stand_in": STAND_IN}])

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl_s / 4):
            self._write_until()

    def _target(self) -> str | None:
        if LEASE not in self.client.list_aliases().get("aliases", []):
            return None
        return self.client.describe_alias(LEASE)["collection_name"]

    def _holder(self) -> tuple[str, float]:
        from pymilvus.exceptions import MilvusException

        try:
            rows = self.client.query(LEASE, filter='key == "lease"', output_fields=["holder", "until"])
        except MilvusException:  # released between our looks
            return "a build that just finished", 0.0
        return (rows[0]["holder"], rows[0]["until"]) if rows else ("unknown", 0.0)
