"""Embedders (the Protocol; sentence-transformers on torch; the same model on ONNX Runtime; the
model-free hashing one) and the vector cache keyed by model + backend + precision. Imports
nothing else of Footnote's."""

from __future__ import annotations

import logging
import os

from index.embed.base import Embedder, normalise
from index.embed.cache import VectorCache, text_hash
from index.embed.hashing import HashingEmbedder
from index.embed.onnx import OnnxEmbedder
from index.embed.onnx_export import OnnxExportError
from index.embed.transformer import DEFAULT_MODEL, SentenceTransformerEmbedder

log = logging.getLogger("footnote.index")

BACKENDS = ("auto", "torch", "onnx", "onnx-int8")
BACKEND_ENV = "FOOTNOTE_EMBED_BACKEND"
# ONNX Runtime fp32 when it loads: the same vectors as torch (cosine >= 0.9999998), a question
# encoded 3.0x faster on one thread and chunks 1.5x faster on two (bench/embedders.py,
# docs/benchmarks.md); torch when onnxruntime is missing or the model does not export.
DEFAULT_BACKEND = "auto"


def load_embedder(model: str, threads: int | None = None, backend: str | None = None) -> Embedder:
    """The embedder for a model name or path; `hash` or `hash:DIM` is the model-free one.

    `threads` caps the model's CPU threads: 1 suits answering questions one at a time,
    None (all cores) suits embedding a collection in batches. `backend`: "torch"
    (sentence-transformers), "onnx" (ONNX Runtime, fp32: the same vectors, faster), "onnx-int8"
    (quantised: faster still, but other vectors and rankings), or "auto": ONNX Runtime when it is
    installed and the model exports, else torch. An ONNX backend exports the model on first use
    (once per model and weights, cached under ~/.cache/footnote/onnx). Without `backend`, the
    FOOTNOTE_EMBED_BACKEND environment variable decides, else DEFAULT_BACKEND: one setting for
    the CLI, the API, the bot and their worker processes alike.
    """
    if model == "hash" or model.startswith("hash:"):
        dim = int(model.partition(":")[2] or 256)
        return HashingEmbedder(dim)
    backend = backend or os.environ.get(BACKEND_ENV) or DEFAULT_BACKEND
    if backend not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "torch":
        return SentenceTransformerEmbedder(model, threads=threads)
    if backend != "auto":
        return OnnxEmbedder(model, threads=threads, precision=backend.partition("-")[2] or "fp32").load()
    try:
        return OnnxEmbedder(model, threads=threads).load()
    except (ImportError, OnnxExportError) as exc:
        log.warning("embedding %s with torch, not ONNX Runtime: %s", model, exc)
        return SentenceTransformerEmbedder(model, threads=threads)


class LazyEmbedder:
    """An embedder that loads its model on first use: its name is known at once, so a build
    that finds nothing to embed (an unchanged collection) never pays for loading the model."""

    def __init__(self, model: str, threads: int | None = None, backend: str | None = None):
        self.name = model  # what every embedder but the hashing one is called (that one is not lazy)
        self._args = (model, threads, backend)
        self._loaded: Embedder | None = None

    def __getattr__(self, attribute: str):
        if attribute.startswith("__") or attribute in ("_args", "_loaded"):
            raise AttributeError(attribute)
        if self._loaded is None:
            self._loaded = load_embedder(*self._args)
        return getattr(self._loaded, attribute)


def embedder_for_build(model: str, threads: int | None = None, backend: str | None = None) -> Embedder:
    """The embedder a build takes: loaded only if the build has something to embed."""
    if model == "hash" or model.startswith("hash:"):
        return load_embedder(model, threads, backend)
    return LazyEmbedder(model, threads, backend)


__all__ = ["BACKENDS", "BACKEND_ENV", "DEFAULT_BACKEND", "DEFAULT_MODEL", "Embedder", "HashingEmbedder", "OnnxEmbedder", "OnnxExportError",
           "LazyEmbedder", "SentenceTransformerEmbedder", "VectorCache", "embedder_for_build", "load_embedder", "normalise", "text_hash"]
