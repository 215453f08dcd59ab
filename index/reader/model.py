"""The answer reader at run time: a small cross-encoder (ONNX Runtime) that reads a question with
each candidate sentence and says how likely the sentence is to answer it.

A reader is a folder: `reader.onnx`, `tokenizer.json` and `card.json` (the base model, the input
limits, the figures it was measured at, and the sha256 of the two other files, checked at every
load). The bundled one is index/reader/bundled/; `footnote train-reader` writes new ones.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.defaults import READER_ENV
from index.reader.inputs import Candidate, Limits, ListEncoder

BUNDLED = Path(__file__).resolve().parent / "bundled"
CARD_FORMAT = 2  # 2: the candidates read together (inputs.ListEncoder)
FILES = ("reader.onnx", "tokenizer.json")
CHOICES = "bundled (the default), off, or the path of a reader folder written by `footnote train-reader`"


class ReaderError(RuntimeError):
    """A reader cannot be loaded; the message names the file and the fix."""


class OnnxReader:
    """Scores candidate sentences against a question. `threads` sets ONNX Runtime's intra-op
    threads; load_reader's 2 reads one question's candidates on both cores of a small machine.
    bench/api_load.py (each figure a ratio to reader-off in the same run) measured the
    in-process p50 at 2.6x reader-off with 2 threads and 4.5x with 1, and HTTP throughput at
    concurrency 8 at 0.38x and 0.34x (idle threads sleep rather than spin, so concurrent
    questions do not fight over the cores)."""

    def __init__(self, folder: Path, threads: int | None = 2):
        self.folder = Path(folder)
        self.card = read_card(self.folder)
        self.name = self.card.get("name") or self.folder.name
        self.threads = threads
        self._lock = threading.Lock()
        self._session = None
        self._encoder = None

    def load(self) -> OnnxReader:
        """Check the files against the card and open the model; returns self. Thread-safe."""
        with self._lock:
            if self._session is None:
                self._open()
        return self

    def _open(self) -> None:
        import onnxruntime

        from index.embed.tokens import load_tokenizer

        verify(self.folder, self.card)
        limits = Limits(**self.card["limits"])
        self._encoder = ListEncoder(load_tokenizer(str(self.folder / "tokenizer.json")), limits)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads or 0
        options.inter_op_num_threads = 1
        # Threads that wait for work sleep rather than spin: under load the question threads
        # share the cores, and a spinning pool would burn what another question needs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = onnxruntime.InferenceSession(str(self.folder / "reader.onnx"), options,
                                                         providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own kinds for a file it cannot read
            raise ReaderError(f"{self.folder / 'reader.onnx'} cannot be opened by ONNX Runtime ({exc}); "
                              f"retrain it with `footnote train-reader`, or set {READER_ENV}=off") from None

    def score(self, question: str, history: Sequence[str], candidates: Sequence[Candidate]) -> np.ndarray:
        """The probability that each candidate answers the question (history: earlier questions)."""
        if not candidates:
            return np.zeros(0, dtype=np.float32)
        self.load()
        return self.probabilities(*self._encoder.encode(question, history, candidates))

    @property
    def encoder(self) -> ListEncoder:
        """What turns questions and candidates into the model's inputs (after `load`)."""
        return self.load()._encoder

    def probabilities(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray, pool: np.ndarray) -> np.ndarray:
        """The model's probability for each candidate of encoded inputs (ListEncoder.encode's)."""
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types, "pool": pool}
        logits = self.load()._session.run(None, feed)[0]
        return (1.0 / (1.0 + np.exp(-logits.reshape(-1).astype(np.float64)))).astype(np.float32)


def read_card(folder: Path) -> dict:
    """The reader folder's card.json, checked for the fields the runtime needs."""
    path = Path(folder) / "card.json"
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReaderError(f"{folder} is not a reader folder: it has no card.json; set {READER_ENV} to "
                          f"{CHOICES}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReaderError(f"{path} cannot be read ({exc}); retrain the reader with `footnote train-reader` or "
                          f"set {READER_ENV}=off") from None
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT or not isinstance(card.get("sha256"), dict) \
            or not isinstance(card.get("limits"), dict):
        raise ReaderError(f"{path} is not a reader card of format {CARD_FORMAT} (it needs `format`, `limits` and "
                          f"`sha256`); retrain the reader with `footnote train-reader`")
    return card


def verify(folder: Path, card: dict) -> None:
    """Every file of the reader is present and hashes as its card says."""
    for name in FILES:
        path = Path(folder) / name
        expected = card["sha256"].get(name)
        if not path.is_file():
            raise ReaderError(f"{path} is missing; restore it (git checkout {path.name} in the bundled folder) or "
                              f"retrain with `footnote train-reader`, or set {READER_ENV}=off")
        actual = file_sha256(path)
        if actual != expected:
            raise ReaderError(f"{path} is damaged: its sha256 is {actual[:16]}…, the card says "
                              f"{str(expected)[:16]}…; restore the file (it ships with Footnote) or retrain with "
                              f"`footnote train-reader`, or set {READER_ENV}=off")


def file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def load_reader(spec: str | None, threads: int | None = 2) -> OnnxReader | None:
    """The reader `spec` names: "bundled" (or empty), "off" (None: the retriever's choice alone),
    or a reader folder. Loaded and checked now, so a damaged file fails at start-up."""
    spec = (spec or "bundled").strip()
    if spec == "off":
        return None
    folder = BUNDLED if spec == "bundled" else Path(spec).expanduser()
    if spec != "bundled" and not folder.is_dir():
        raise ReaderError(f"reader {spec!r} is not a folder; set {READER_ENV} to {CHOICES}")
    return OnnxReader(folder, threads).load()
