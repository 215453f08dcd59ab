"""Where a build's embedding runs: in this process (the default), or on a Ray cluster through
Ray Data, `map_batches` over a pool of actors that each hold the model.

Only the texts the vector cache does not know are sent (index/build.py asks the cache first),
and their vectors come back in the order given, so the cache and the segment are written
exactly as the local executor writes them.
"""

from __future__ import annotations

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
        vectors = self.embedder.encode([str(t) for t in batch["text"]])
        return {"row": batch["row"], "vector": np.asarray(vectors, dtype=np.float32)}


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
        try:
            import ray
        except ImportError:
            raise ValueError("--executor ray: Ray is not installed; install it with "
                             "`pip install 'footnote[scale]'`") from None
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        self._start(ray)
        items = [{"row": n, "text": t} for n, t in enumerate(texts)]
        done = ray.data.from_items(items).map_batches(
            _EmbedActor, fn_constructor_kwargs={"model": self.model, "backend": os.environ.get(BACKEND_ENV),
                                                "gpu": self.gpus > 0},
            batch_size=self.batch_size, compute=ray.data.ActorPoolStrategy(size=self.actors),
            num_gpus=self.gpus or None, batch_format="numpy")
        rows, vectors = [], []
        for batch in done.iter_batches(batch_size=None, batch_format="numpy"):
            rows.append(batch["row"])
            vectors.append(batch["vector"])
        out = np.zeros((len(texts), vectors[0].shape[1]), dtype=np.float32)
        out[np.concatenate(rows)] = np.concatenate(vectors)
        return out

    def _start(self, ray) -> None:
        if ray.is_initialized():
            return
        if self.address:  # a cluster: Footnote is installed on its nodes (docs/scale-out.md)
            ray.init(address=self.address, log_to_driver=False)
        else:  # this machine: the workers import Footnote from the same folder as this process
            ray.init(num_cpus=self.num_cpus or os.cpu_count(), include_dashboard=False, log_to_driver=False,
                     runtime_env={"env_vars": {"PYTHONPATH": str(_ROOT)}})
        ray.data.DataContext.get_current().enable_progress_bars = False
