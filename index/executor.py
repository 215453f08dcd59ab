"""Where a build reads, chunks and embeds: in this process (the default), or on a Ray cluster
through Ray Data: the files to read and the articles to chunk go to Ray tasks, the texts to embed
to `map_batches` over a pool of actors that each hold the model (index/ray_work.py).

The builder still lists the corpus and decides what changed: only the files whose signature
changed are read, only the new and changed articles chunked, only the texts the vector cache
does not know embedded (index/build/). Everything comes back in the order given, so the
segment and the cache are written exactly as the local executor writes them.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corpus import Article, Chunk
from corpus.article import ArticleError
from corpus.chunk import ChunkParams
from index.defaults import EXECUTORS  # noqa: F401 - re-exported
from index.embed import BACKEND_ENV
from index.ray_work import EmbedActor, article_row, read_batch, read_result, split_batch, split_result

_ROOT = Path(__file__).resolve().parents[1]  # the folder that holds the corpus and index packages


@dataclass
class RayExecutor:
    """Reads, chunks and embeds on Ray: a local Ray with `num_cpus` when `address` is None, else
    the cluster there ("auto", or ray://HOST:10001). `actors` model copies embed at once, each on
    batches of `batch_size` texts, with `gpus` GPUs each (0: CPU only; None: one each when the
    cluster has a GPU per actor, else its GPUs shared among the actors); files are read and
    articles chunked by Ray tasks, `task_batch` at a time. `done` counts what came back from the
    workers: "files read", "articles chunked", "texts embedded"."""

    model: str
    address: str | None = None
    actors: int = 2
    batch_size: int = 64
    gpus: float | None = None
    num_cpus: int | None = None
    wave: int = 20_000  # texts per Ray job; the vector cache is written after each
    task_batch: int = 32  # files, or articles, per Ray task when reading and chunking
    done: Counter = field(default_factory=Counter)

    def __post_init__(self):
        if self.actors < 1 or self.batch_size < 1:
            raise ValueError(f"--ray-actors {self.actors} and --ray-batch-size {self.batch_size}: both must be "
                             "1 or more")
        if self.gpus is not None and self.gpus < 0:
            raise ValueError(f"--ray-gpus {self.gpus}: give the GPUs per actor (0 for CPU only), or leave it out to "
                             "use the cluster's GPUs when it has some")

    def gpus_per_actor(self, resources: dict) -> float:
        """The GPUs each embedding actor asks for, given the cluster's resources
        (`ray.cluster_resources()`): as set, else one each when there are enough, a share of
        them when there are fewer GPUs than actors, none without GPUs."""
        if self.gpus is not None:
            return self.gpus
        total = float(resources.get("GPU", 0))
        return min(1.0, total / self.actors) if total > 0 else 0.0

    def read_files(self, root: Path, paths: list[Path], max_file_bytes: int) -> list[list[Article] | ArticleError]:
        """corpus.load.read_files on the cluster: each file read and parsed by a Ray task, which
        finds it at the same path (CorpusNotShared when a node has no such folder)."""
        if not paths:
            return []
        read = self._tasks([{"row": n, "path": str(p)} for n, p in enumerate(paths)], "read", read_batch,
                           {"root": str(root), "max_file_bytes": max_file_bytes})
        self.done["files read"] += len(read)
        return [read_result(text, str(root)) for text in read]

    def split_articles(self, articles: list[Article], tokenizer, params: ChunkParams,
                       on_done: Callable[[int], None] | None = None) -> list[tuple[list[Chunk], list[Chunk]]]:
        """corpus.chunk.split_articles on the cluster, with the model's tokenizer alone
        (`Embedder.span_tokenizer()`): each article's chunks and sentences, in order."""
        if not articles:
            return []
        rows = [{"row": n, "article": article_row(a)} for n, a in enumerate(articles)]
        cut = self._tasks(rows, "spans", split_batch, {"tokenizer": tokenizer, "params": params}, on_done)
        self.done["articles chunked"] += len(cut)
        return [split_result(article, text) for article, text in zip(articles, cut)]

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

    def _tasks(self, rows: list[dict], column: str, fn, kwargs: dict,
               on_done: Callable[[int], None] | None = None) -> list:
        """`fn(batch, **kwargs)` over `rows` in Ray tasks of `task_batch` rows; the `column` it
        gives each row, in the rows' order. `on_done(n)` as each batch of n comes back."""
        ray = self.start()
        done = ray.data.from_items(rows).map_batches(fn, fn_kwargs=kwargs, batch_size=self.task_batch,
                                                     batch_format="numpy")
        placed: list = [None] * len(rows)
        for batch in done.iter_batches(batch_size=None, batch_format="numpy"):
            for row, value in zip(batch["row"], batch[column]):
                placed[row] = str(value)
            if on_done is not None:
                on_done(len(batch["row"]))
        return placed

    def _run(self, items: list[dict]) -> tuple[np.ndarray, list[bytes] | None]:
        ray = self.start()
        gpus = self.gpus_per_actor(ray.cluster_resources())
        done = ray.data.from_items(items).map_batches(
            EmbedActor, fn_constructor_kwargs={"model": self.model, "backend": os.environ.get(BACKEND_ENV),
                                                "gpu": gpus > 0},
            batch_size=self.batch_size, compute=ray.data.ActorPoolStrategy(size=self.actors),
            num_gpus=gpus or None, batch_format="numpy")
        rows, vectors, pooled = [], [], []
        for batch in done.iter_batches(batch_size=None, batch_format="numpy"):
            rows.append(batch["row"])
            vectors.append(batch["vector"])
            pooled.extend(batch["pooled"] if "pooled" in batch else [])
        order = np.concatenate(rows)
        self.done["texts embedded"] += len(order)
        out = np.zeros((len(items), vectors[0].shape[1]), dtype=np.float32)
        out[order] = np.concatenate(vectors)
        if not pooled:
            return out, None
        placed: list = [None] * len(items)
        for row, data in zip(order, pooled):
            placed[row] = bytes(data)
        return out, placed

    def start(self):
        """Connect to the cluster, or start Ray here, unless that is done; the `ray` module. A build
        does it on first use."""
        try:
            import ray
        except ImportError:
            raise ValueError("--executor ray: Ray is not installed; install it with "
                             "`pip install 'footnote[scale]'`") from None
        if ray.is_initialized():
            return ray
        if self.address:  # a cluster: Footnote is installed on its nodes (docs/scale-out.md)
            ray.init(address=self.address, log_to_driver=False)
        else:  # this machine: the workers import Footnote from the same folder as this process
            ray.init(num_cpus=self.num_cpus or os.cpu_count(), include_dashboard=False, log_to_driver=False,
                     runtime_env={"env_vars": {"PYTHONPATH": str(_ROOT)}})
        ray.data.DataContext.get_current().enable_progress_bars = False
        return ray
