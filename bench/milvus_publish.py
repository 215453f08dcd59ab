"""What a Milvus publish writes for a small update. Prints figures, judges nothing.

A store is built from the first --articles Reuters articles, then --added more articles arrive
as a new JSONL file and the store is brought up to date. For both builds it reports the wall
time, the part of it spent on the local build (index/build/), the rest (the publish into
Milvus), and the rows inserted into Milvus, per collection and in all.

    python bench/milvus_publish.py [--articles 2000] [--added 10] [--store milvus://HOST:PORT/DB]

Without --store it starts a Milvus Lite server of its own on 127.0.0.1 (a fresh data folder).
The model-free `hash` embedder keeps embedding out of the figures.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from reuters import REUTERS, reuters_records, write_jsonl  # noqa: E402
from index import milvus_build  # noqa: E402
from index.embed import load_embedder  # noqa: E402


@contextmanager
def lite_server(folder: Path):
    """A Milvus Lite server on a free port of 127.0.0.1, stopped on the way out."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with open(folder / "server.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(folder / "db"),
                                 "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            if proc.poll() is not None:
                raise RuntimeError(f"the Milvus Lite server stopped; see {folder / 'server.log'}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"milvus://127.0.0.1:{port}/bench"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def counted_inserts():
    """Count the rows every MilvusClient.insert sends, by collection."""
    from pymilvus import MilvusClient

    rows: Counter = Counter()
    real = MilvusClient.insert

    def insert(self, collection_name, data, *args, **kwargs):
        rows[collection_name] += len(data)
        return real(self, collection_name, data, *args, **kwargs)

    MilvusClient.insert = insert
    try:
        yield rows
    finally:
        MilvusClient.insert = real


@contextmanager
def timed_local_build(spent: list[float]):
    """Add the wall time of the local build inside build_into_milvus to `spent`."""
    real = milvus_build.build_index

    def build_index(*args, **kwargs):
        started = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    milvus_build.build_index = build_index
    try:
        yield
    finally:
        milvus_build.build_index = real


def publish_once(store: str, corpus: Path, index: Path, embedder) -> dict:
    spent: list[float] = []
    with counted_inserts() as rows, timed_local_build(spent):
        started = time.perf_counter()
        summary = milvus_build.build_into_milvus(store, corpus, index, embedder, progress=False)
        wall = time.perf_counter() - started
    by_kind = Counter()
    for collection, n in rows.items():  # footnote_<generation or family>_<kind>; the lease's own rows apart
        by_kind[collection.rsplit("_", 1)[-1] if not collection.startswith("footnote_lease") else "lease"] += n
    return {"generation": summary.generation, "chunks": summary.chunks_total, "wall_s": round(wall, 2),
            "local_build_s": round(sum(spent), 2), "publish_s": round(wall - sum(spent), 2),
            "rows_inserted": sum(n for kind, n in by_kind.items() if kind != "lease"),
            "rows_by_kind": dict(sorted(by_kind.items()))}


def run(args, store: str, work: Path) -> dict:
    records = reuters_records(args.articles + args.added)
    embedder = load_embedder("hash")
    write_jsonl(work / "corpus" / "reuters.jsonl", records[:args.articles])
    out = {"articles": args.articles, "added": args.added, "code": str(ROOT)}
    out["first"] = publish_once(store, work / "corpus", work / "index", embedder)
    write_jsonl(work / "corpus" / "more.jsonl", records[args.articles:])
    out["update"] = publish_once(store, work / "corpus", work / "index", embedder)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--added", type=int, default=10)
    parser.add_argument("--store", help="milvus://HOST:PORT/DB (default: a Milvus Lite server of its own)")
    args = parser.parse_args()
    if not REUTERS.is_file():
        parser.error(f"{REUTERS}: no such file; the Reuters data is expected in ../shared/data")
    with tempfile.TemporaryDirectory(prefix="footnote-publish-") as tmp:
        work = Path(tmp)
        if args.store:
            out = run(args, args.store, work)
        else:
            with lite_server(work) as store:
                out = run(args, store, work)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
