"""The floor: the least a semantic-search API does, on the same machine, the same model and the
same vectors as Footnote, so that Footnote's speed is stated as a ratio to it (bench/api_load.py).

It encodes the question with the same MiniLM ONNX export on one intra-op thread, searches the
index's chunk vectors exactly (FAISS inner product, top 5), and returns ids and scores as JSON
from one FastAPI endpoint under uvicorn. Nothing else: no BM25, no sentences, no dates, no
quotes, no middleware, no rate limit.

    .venv/bin/python bench/floor.py serve --index DIR --port N [--model NAME]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
K = 5


class FloorSearch:
    """Question in, (chunk ids, scores) out: one encode and one exact search."""

    def __init__(self, index: Path, model: str):
        import faiss
        import numpy as np

        from index.embed import OnnxEmbedder
        from index.search import Filters
        from index.store import Generation

        faiss.omp_set_num_threads(1)
        with Generation.open(index) as generation:  # the very vectors Footnote searches
            self.ids = np.asarray(generation.chunk_ids(Filters()), dtype=np.int64)
            vectors = np.ascontiguousarray(generation.vectors.vectors(self.ids), dtype=np.float32)
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(vectors)
        self.encoder = OnnxEmbedder(model, threads=1).load()  # the export Footnote's default backend runs

    def search(self, question: str) -> tuple[list[int], list[float]]:
        vector = self.encoder.encode([question])
        scores, rows = self.index.search(vector, K)
        return [int(self.ids[r]) for r in rows[0] if r >= 0], [float(s) for s in scores[0][:len(rows[0])]]

    def timed(self, questions: list[str], rounds: int = 2) -> list[float]:
        """Milliseconds per search, after a warm-up, one question at a time."""
        for q in questions[:5]:
            self.search(q)
        latencies = []
        for _ in range(rounds):
            for q in questions:
                started = time.perf_counter()
                self.search(q)
                latencies.append((time.perf_counter() - started) * 1000)
        return latencies


def app(index: Path, model: str):
    from fastapi import FastAPI
    from pydantic import BaseModel

    class Ask(BaseModel):
        question: str

    floor = FloorSearch(index, model)
    globals()["Ask"] = Ask  # the endpoint's annotation is read by name (postponed annotations)
    api = FastAPI()

    @api.post("/search")
    def search(ask: Ask) -> dict:  # a plain def: FastAPI runs it on its thread pool, off the event loop
        ids, scores = floor.search(ask.question)
        return {"ids": ids, "scores": scores}

    @api.get("/readyz")
    def ready() -> dict:
        return {"status": "ready"}

    return api


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    args = parser.parse_args(argv)
    import uvicorn

    uvicorn.run(app(args.index, args.model), host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
