"""Embedders (the Protocol, sentence-transformers, the model-free hashing one) and the vector
cache keyed by model + backend + precision. Imports nothing else of Footnote's."""

from __future__ import annotations

from index.embed.base import Embedder, normalise
from index.embed.cache import VectorCache, text_hash
from index.embed.hashing import HashingEmbedder
from index.embed.transformer import DEFAULT_MODEL, SentenceTransformerEmbedder


def load_embedder(model: str, threads: int | None = None) -> Embedder:
    """The embedder for a model name or path; `hash` or `hash:DIM` is the model-free one.

    `threads` caps the model's CPU threads: 1 suits answering questions one at a time,
    None (all cores) suits embedding a collection in batches.
    """
    if model == "hash" or model.startswith("hash:"):
        dim = int(model.partition(":")[2] or 256)
        return HashingEmbedder(dim)
    return SentenceTransformerEmbedder(model, threads=threads)


__all__ = ["DEFAULT_MODEL", "Embedder", "HashingEmbedder", "SentenceTransformerEmbedder", "VectorCache",
           "load_embedder", "normalise", "text_hash"]
