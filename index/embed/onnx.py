"""The ONNX Runtime embedder: the sentence-transformers model exported once (onnx_export.py) and
run with onnxruntime directly, the model's tokenizer.json, mean pooling over the attention mask
and L2 normalisation. Neither torch nor optimum is imported to answer a question."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from index.embed.base import normalise
from index.embed.onnx_export import PROBES, OnnxExportError, default_cache_dir, ensure_export
from index.embed.spans import Spans, check_spans, fill_missing, mean_pool, pool_spans
from index.embed.tokens import SpanTokenizer, load_tokenizer, special_token_count, visible_end
from index.embed.transformer import DEFAULT_MODEL, model_path

PRECISIONS = ("fp32", "int8")
# The least cosine between a load's probe vectors and the torch ones stored at export: fp32
# reproduces torch (measured 1 - 1e-7); int8 moves vectors by design, so only gross damage fails.
_PROBE_MIN_COSINE = {"fp32": 0.9999, "int8": 0.9}


class OnnxEmbedder:
    """A sentence-transformers model (mean pooling) run with ONNX Runtime on the CPU.

    `threads` sets onnxruntime's intra-op threads: 1 suits one question at a time, None (all
    cores) suits embedding a collection in batches. `cache_dir` holds the exports (default
    ~/.cache/footnote/onnx). Nothing is loaded before `load()` or the first use.
    """

    def __init__(self, model: str = DEFAULT_MODEL, threads: int | None = None, precision: str = "fp32",
                 batch_size: int = 32, cache_dir: Path | None = None):
        if precision not in PRECISIONS:
            raise ValueError(f"ONNX precision {precision!r} is not one of {PRECISIONS}")
        self.name = model
        self.threads = threads
        self.precision = precision
        self.batch_size = batch_size
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.folder: Path | None = None  # the export in use, once loaded
        self._lock = threading.Lock()
        self._session = None

    @property
    def cache_key(self) -> str:
        # fp32 is checked against torch's vectors when it loads (cosine >= 0.9999; bench/embedders.py
        # measured >= 0.9999998 on questions, chunks and sentences): its vectors are torch's and
        # share their cache entries, so switching backends re-embeds nothing. int8's are its own.
        return f"{self.name}|torch|fp32" if self.precision == "fp32" else f"{self.name}|onnx|{self.precision}"

    def load(self) -> OnnxEmbedder:
        """Export the model if no export of these weights exists yet, open it, check it against the
        torch vectors stored with the export; returns self. Safe to call from several threads."""
        with self._lock:
            if self._session is None:
                self._open()
        return self

    def _open(self) -> None:
        import onnxruntime

        folder = Path(model_path(self.name))
        if not folder.is_dir():
            raise OnnxExportError(f"model {self.name!r} is not a local folder; the ONNX embedder exports "
                                  "from one: pass a model folder, or use backend 'torch'")
        self.folder = ensure_export(folder, self.name, self.cache_dir, self.precision)
        meta = json.loads((self.folder / "meta.json").read_text(encoding="utf-8"))
        self._dimension = int(meta["dimension"])
        source = str(self.folder / "tokenizer.json")
        counting = load_tokenizer(source)
        self._span_tokenizer = SpanTokenizer(counting, special_token_count(counting))
        self._truncating = load_tokenizer(source, meta["max_tokens"])
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads or 0  # 0: onnxruntime's default, one per core
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(self.folder / f"model-{self.precision}.onnx"), options, providers=["CPUExecutionProvider"])
        self._check_probes()

    def _check_probes(self) -> None:
        expected = np.load(self.folder / "probes.npy")
        cosine = float((self._encode(PROBES) * expected).sum(axis=1).min())
        if cosine < _PROBE_MIN_COSINE[self.precision]:
            self._session = None
            raise OnnxExportError(
                f"the ONNX export in {self.folder} ({self.precision}) gives vectors that differ from "
                f"the model's torch vectors (least cosine {cosine:.5f}); delete that folder to export "
                "again, or use backend 'torch'")

    @property
    def dimension(self) -> int:
        return self.load()._dimension

    @property
    def special_tokens(self) -> int:
        return self.span_tokenizer().special_tokens

    def encode(self, texts: list[str]) -> np.ndarray:
        self.load()
        return self._encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for rows, hidden, mask in self._forward(self._truncating.encode_batch(texts)):
            vectors[rows] = mean_pool(hidden, mask)
        return normalise(vectors)

    def token_spans(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        return self.span_tokenizer().token_spans(texts)

    def span_tokenizer(self) -> SpanTokenizer:
        self.load()
        return self._span_tokenizer

    def encode_with_spans(self, texts: list[str], spans: list[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
        """`encode(texts)`, and for each text one unit vector per character span, pooled from the
        same forward pass's token vectors (see spans.pool_spans; a span no token reaches gets its
        own text's vector)."""
        check_spans(texts, spans)
        self.load()
        encodings = self._truncating.encode_batch(texts)
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        pooled: list = [None] * len(texts)
        missing: list = [None] * len(texts)
        for rows, hidden, mask in self._forward(encodings):
            vectors[rows] = mean_pool(hidden, mask)
            for tokens, row in zip(hidden, rows):
                enc = encodings[row]
                pooled[row], missing[row] = pool_spans(tokens[:len(enc.ids)], enc.offsets, enc.special_tokens_mask,
                                                       spans[row], visible_end(enc, texts[row]))
        return normalise(vectors), fill_missing(self._encode, texts, spans, pooled, missing)

    def _forward(self, encodings):
        """(rows, token vectors, attention mask) per batch; texts of like length are batched
        together, so padding stays short."""
        order = np.argsort([-len(enc.ids) for enc in encodings], kind="stable")
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            width = len(encodings[rows[0]].ids)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for i, row in enumerate(rows):
                ids[i, :len(encodings[row].ids)] = encodings[row].ids
                mask[i, :len(encodings[row].ids)] = 1
            hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            yield rows, hidden, mask

