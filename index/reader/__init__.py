"""The answer reader: a small cross-encoder trained here (index/reader/train.py) that reads a
question with a candidate sentence and its neighbours and says whether the sentence answers it.
Run by ONNX Runtime; imports nothing of Footnote's above `index.embed`."""

from __future__ import annotations

from index.reader.inputs import Candidate, Limits, ListEncoder
from index.reader.model import BUNDLED, READER_ENV, OnnxReader, ReaderError, load_reader

__all__ = ["BUNDLED", "READER_ENV", "Candidate", "Limits", "OnnxReader", "ListEncoder", "ReaderError", "load_reader"]
