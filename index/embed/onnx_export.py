"""Exporting a sentence-transformers model to ONNX once per model and weights.

The export lives in a cache folder named after the model and a hash of its files. It holds the
transformer's graph (`model-fp32.onnx`, with onnxruntime's transformer fusions; `model-int8.onnx`
when asked for), the model's tokenizer, `meta.json` (dimension, max tokens) and `probes.npy`: the
torch vectors of a few probe texts, which every load compares against. Each file is written
under a temporary name in the same folder and renamed into place, so a reader never sees half a
file and two exporters racing each publish a whole one (the same, as both come from the same
weights). Torch, sentence-transformers and onnx are needed here only, never at query time.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import json
import os
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np

EXPORT_VERSION = 1  # in the folder name: bumped when the export changes, so old ones are not reused
OPSET = 17
PROBES = ["", "What did the council approve on Tuesday?", "Zürich café, 東京 and 🚆: unicode in a headline.",
          " ".join(["The tunnel boring machine stood idle for nine days while the union talked."] * 30)]


class OnnxExportError(RuntimeError):
    """The model could not be exported to (or run with) ONNX Runtime; the message names the fix."""


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "footnote" / "onnx"


def fingerprint(model_dir: Path) -> str:
    """A hash over the model folder's files (names and contents; hidden files left out)."""
    digest = hashlib.sha256()
    for path in sorted(model_dir.rglob("*")):
        rel = path.relative_to(model_dir)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            with path.open("rb") as f:
                digest.update(rel.as_posix().encode() + b"\0" + hashlib.file_digest(f, "sha256").digest())
    return digest.hexdigest()


def export_folder(name: str, digest: str, cache_dir: Path) -> Path:
    """The cache folder of model `name` whose files hash to `digest`."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")[-60:] or "model"
    return cache_dir / f"{slug}-{digest[:16]}-v{EXPORT_VERSION}"


def ensure_export(model_dir: Path, name: str, cache_dir: Path, precision: str) -> Path:
    """The export folder of the model, with `model-<precision>.onnx` in it; exported now if missing."""
    digest = fingerprint(model_dir)
    folder = export_folder(name, digest, cache_dir)
    if (folder / f"model-{precision}.onnx").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    try:
        if not (folder / "model-fp32.onnx").is_file():
            _export_fp32(model_dir, digest, folder)
        if precision == "int8" and not (folder / "model-int8.onnx").is_file():
            _quantise(folder)
    except OnnxExportError:
        raise
    except Exception as exc:  # the exporters raise many kinds; one message says what to do
        raise OnnxExportError(
            f"exporting {name!r} ({model_dir}) to ONNX failed: {type(exc).__name__}: {exc}; use "
            "backend 'torch' for this model, or check that torch, onnx and onnxruntime are installed "
            "(pip install -e .)") from exc
    return folder


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _export_fp32(model_dir: Path, digest: str, folder: Path) -> None:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    # Eager attention: its graph is the one onnxruntime's BERT fusion recognises (SDPA's is not).
    st = SentenceTransformer(str(model_dir), device="cpu", model_kwargs={"attn_implementation": "eager"})
    meta = {**_describe(st, model_dir), "fingerprint": digest}
    probes = st.encode(PROBES, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
    buffer = io.BytesIO()
    np.save(buffer, probes.astype(np.float32))
    write_atomic(folder / "tokenizer.json", st.tokenizer.backend_tokenizer.to_str().encode())
    write_atomic(folder / "probes.npy", buffer.getvalue())
    with tempfile.TemporaryDirectory(dir=folder, prefix=".export-") as tmp:
        raw, fused = Path(tmp) / "raw.onnx", Path(tmp) / "fused.onnx"
        _trace(st[0].auto_model, raw)
        meta["fusions"] = _fuse(raw, fused, st[0].auto_model.config)
        write_atomic(folder / "meta.json", json.dumps(meta, indent=1).encode())
        os.replace(fused, folder / "model-fp32.onnx")  # last: its presence means the export is whole


def _describe(st, model_dir: Path) -> dict:
    """What the runtime needs to reproduce the model; refuses models it would not reproduce."""
    kinds = [type(module).__name__ for module in st]
    pooling = st[1].get_config_dict().get("pooling_mode") if len(kinds) > 1 else None
    if kinds[:2] != ["Transformer", "Pooling"] or pooling not in ("mean", ["mean"]) \
            or set(kinds[2:]) - {"Normalize"} or getattr(st[0], "do_lower_case", False):
        raise OnnxExportError(
            f"{model_dir}: modules {kinds} with pooling {pooling!r}; the ONNX embedder reproduces "
            "only a transformer with mean pooling (optionally normalised); use backend 'torch'")
    import onnxruntime
    import torch

    return {"dimension": int(st.get_embedding_dimension()), "max_tokens": int(st.max_seq_length),
            "export_version": EXPORT_VERSION, "opset": OPSET,
            "torch": torch.__version__, "onnxruntime": onnxruntime.__version__}


def _trace(model, path: Path) -> None:
    """The transformer's token vectors as an ONNX graph with inputs input_ids and attention_mask
    (batch and length free). Token type ids are fixed at zero inside the graph: one segment, as
    sentence-transformers feeds a single text."""
    import torch

    wants_types = "token_type_ids" in inspect.signature(model.forward).parameters

    class TokenVectors(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            types = {"token_type_ids": torch.zeros_like(input_ids)} if wants_types else {}
            return self.model(input_ids=input_ids, attention_mask=attention_mask, **types).last_hidden_state

    # A padded second row, so no shortcut for an all-ones mask can be traced into the graph.
    ids = torch.full((2, 8), 1000, dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "token_embeddings": {0: "batch", 1: "tokens"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes it keeps free anyway
        # The TorchScript exporter (dynamo=False): onnxruntime fuses its graph into Attention and
        # EmbedLayerNormalization nodes; the dynamo graph kept its attention unfused and ran slower.
        torch.onnx.export(TokenVectors().eval(), (ids, mask), str(path), input_names=list(axes)[:2],
                          output_names=["token_embeddings"], dynamic_axes=axes, opset_version=OPSET,
                          dynamo=False)


def _fuse(raw: Path, out: Path, config) -> dict:
    """onnxruntime's transformer fusions, written to `out`; returns the count of each fused node."""
    from onnxruntime.transformers import optimizer

    model_type = config.model_type if config.model_type in optimizer.MODEL_TYPES else "bert"
    fused = optimizer.optimize_model(str(raw), model_type=model_type, opt_level=1,
                                     num_heads=config.num_attention_heads, hidden_size=config.hidden_size)
    fused.save_model_to_file(str(out))
    return {op: n for op, n in fused.get_fused_operator_statistics().items() if n}


def _quantise(folder: Path) -> None:
    """int8 weights, quantised per channel with a reduced range (default settings moved the
    vectors much further: mean cosine 0.93 to fp32 against 0.99, DESIGN.md)."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(dir=folder, prefix=".quantise-") as tmp:
        out = Path(tmp) / "int8.onnx"
        quantize_dynamic(str(folder / "model-fp32.onnx"), str(out), weight_type=QuantType.QInt8,
                         per_channel=True, reduce_range=True,
                         # the fused graph's contrib ops (Attention) hide their outputs' type from
                         # the quantiser's shape inference: they are all float32
                         extra_options={"DefaultTensorType": TensorProto.FLOAT})
        os.replace(out, folder / "model-int8.onnx")
