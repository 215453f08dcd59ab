"""Where a build's embedding runs: in this process (the default), or on a Ray cluster through
Ray Data, `map_batches` over a pool of actors that each hold the model.

Only the texts the vector cache does not know are sent (index/build.py asks the cache first),
and their vectors come back in the order given, so the cache and the segment are written
exactly as the local executor writes them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.embed import BACKEND_ENV, SentenceTransformerEmbedder, load_embedder

EXECUTORS = ("local", "ray")
_ROOT = Path(__file__).resolve().parents[1]  # the folder that holds the corpus and index packages


class _EmbedActor:
    """One Ray actor: the model, loaded once, embedding batch after batch."""

    def __init__(self, model: str, backend: str | None, gpu: bool):
        if gpu and not model.startswith("hash"):  # Ray gave this actor a GPU: torch on CUDA
            self.embedder = SentenceTransformerEmbedder(model, device="cuda")
        else:
            self.embedder = load_embedder(model, backend=backend)

    def __call__(self, batch: dict) -> dict:
        texts = [str(t) for t in batch["text"]]
        if "spans" not in batch:
            return {"row": batch["row"], "vector": np.asarray(self.embedder.encode(texts), dtype=np.float32)}
        # Pooled sentence vectors: each text's spans pooled from its own pass, sent back as the
        # bytes of a float32 matrix (one row per span) beside the text's vector.
        spans = [[tuple(pair) for pair in json.loads(str(s))] for s in batch["spans"]]
        vectors, pooled = self.embedder.encode_with_spans(texts, spans)
        return {"row": batch["row"], "vector": np.asarray(vectors, dtype=np.float32),
                "pooled": np.array([np.asarray(p, dtype=np.float32).tobytes() for p in pooled], dtype=object)}


@dataclass
class RayExecutor:
    """Embeds on Ray: a local Ray with `num_cpus` when `address` is None, else the cluster there
    ("auto", or ray://HOST:10001). `actors` model copies run at once, each on batches of
    `batch_size` texts, with `gpus` GPUs each (0: CPU only)."""

    model: str
    address: str | None = None
    actors: int = 2
    batch_size: int = 64
    gpus: float = 0.0
    num_cpus: int | None = None
    wave: int = 20_000  # texts per Ray job; the vector cache is written after each

    def __post_init__(self):
        if self.actors < 1 or self.batch_size < 1:
            raise ValueError(f"--ray-actors {self.actors} and --ray-batch-size {self.batch_size}: both must be "
                             "1 or more")

    def embed(self, texts: list[str]) -> np.ndarray:
        """The vectors of `texts`, in their order."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return self._run([{"row": n, "text": t} for n, t in enumerate(texts)])[0]

    def embed_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]
                         ) -> tuple[np.ndarray, list[np.ndarray]]:
        """`Embedder.encode_with_spans` on the cluster: each text's vector and its spans' vectors
        pooled from the same pass (pooled sentence vectors), in the order given."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32), []
        vectors, pooled = self._run([{"row": n, "text": t, "spans": json.dumps([list(p) for p in s])}
                                     for n, (t, s) in enumerate(zip(texts, spans))])
        dimension = vectors.shape[1]
        return vectors, [np.frombuffer(p, dtype=np.float32).reshape(-1, dimension) for p in pooled]

    def _run(self, items: list[dict]) -> tuple[np.ndarray, list[bytes] | None]:
        try:
            import ray
        except ImportError:
            raise ValueError("--executor ray: Ray is not installed; install it with "
                             "`pip install 'footnote[scale]'`") from None
        self._start(ray)
        done = ray.data.from_items(items).map_batches(
            _EmbedActor, fn_constructor_kwargs={"model": self.model, "backend": os.environ.get(BACKEND_ENV),
                                                "gpu": self.gpus > 0},
            batch_size=self.batch_size, compute=ray.data.ActorPoolStrategy(size=self.actors),
            num_gpus=self.gpus or None, batch_format="numpy")
        rows, vectors, pooled = [], [], []
        for batch in done.iter_batches(batch_size=None, batch_format="numpy"):
            rows.append(batch["row"])
            vectors.append(batch["vector"])
            pooled.extend(batch["pooled"] if "pooled" in batch else [])
        order = np.concatenate(rows)
        out = np.zeros((len(items), vectors[0].shape[1]), dtype=np.float32)
        out[order] = np.concatenate(vectors)
        if not pooled:
            return out, None
        placed: list = [None] * len(items)
        for row, data in zip(order, pooled):
            placed[row] = bytes(data)
        return out, placed

    def _start(self, ray) -> None:
        if ray.is_initialized():
            return
        if self.address:  # a cluster: Footnote is installed on its nodes (docs/scale-out.md)
            ray.init(address=self.address, log_to_driver=False)
        else:  # this machine: the workers import Footnote from the same folder as this process
            ray.init(num_cpus=self.num_cpus or os.cpu_count(), include_dashboard=False, log_to_driver=False,
                     runtime_env={"env_vars": {"PYTHONPATH": str(_ROOT)}})
        ray.data.DataContext.get_current().enable_progress_bars = False
