"""The answer reader: a small cross-encoder trained here (index/reader/train.py) that reads a
question with a candidate sentence and its neighbours and says whether the sentence answers it.
Run by ONNX Runtime; imports nothing of Footnote's above `index.embed`.

Its names are loaded when first used, so that the CLI's parser (which needs only
index/reader/command.py's flags) starts at once."""

from __future__ import annotations

import importlib

from index.defaults import READER_ENV  # noqa: F401 - one of the names it offers

_HOME = {"inputs": ("Candidate", "Limits", "ListEncoder"),
         "model": ("BUNDLED", "OnnxReader", "ReaderError", "load_reader")}
_WHERE = {name: module for module, names in _HOME.items() for name in names}
__all__ = sorted([*_WHERE, "READER_ENV"])


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'index.reader' has no attribute {name!r}")
    return getattr(importlib.import_module(f"index.reader.{_WHERE[name]}"), name)
