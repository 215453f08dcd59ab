"""The ONNX export cache without a model: atomic files, racing exporters, failures that name
the fix, the folder key, and how load_embedder picks a backend."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest

from index.embed import (HashingEmbedder, OnnxEmbedder, OnnxExportError, SentenceTransformerEmbedder,
                         load_embedder)
from index.embed import onnx_export
from index.embed.onnx_export import ensure_export, export_folder, fingerprint, write_atomic


def model_folder(root: Path, weights: bytes = b"weights") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "model.safetensors").write_bytes(weights)
    (root / "config.json").write_text("{}")
    return root


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.startswith("."))


def test_write_atomic_readers_see_only_whole_files(tmp_path):
    target = tmp_path / "model-fp32.onnx"
    payloads = [bytes([n]) * 2_000_000 for n in range(1, 4)]
    write_atomic(target, payloads[0])
    seen, stop = set(), threading.Event()

    def read():
        while not stop.is_set():
            seen.add(target.read_bytes())

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=lambda p=p: [write_atomic(target, p) for _ in range(5)]) for p in payloads]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    reader.join()
    assert seen <= set(payloads) and seen
    assert leftovers(tmp_path) == []


def test_write_atomic_that_fails_leaves_no_file(tmp_path):
    with pytest.raises(TypeError):
        write_atomic(tmp_path / "meta.json", "not bytes")
    assert list(tmp_path.iterdir()) == []


def test_racing_exporters_publish_one_whole_export_and_later_loads_reuse_it(tmp_path, monkeypatch):
    calls = []

    def slow_export(model_dir, digest, folder):
        calls.append(digest)
        write_atomic(folder / "meta.json", b"{}")
        time.sleep(0.2)  # both exporters are inside the export at once
        write_atomic(folder / "model-fp32.onnx", b"graph of " + digest.encode())

    monkeypatch.setattr(onnx_export, "_export_fp32", slow_export)
    model, cache = model_folder(tmp_path / "m"), tmp_path / "cache"
    found = []
    racers = [threading.Thread(target=lambda: found.append(ensure_export(model, "m", cache, "fp32")))
              for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert len(calls) == 2 and found[0] == found[1]
    assert (found[0] / "model-fp32.onnx").read_bytes() == b"graph of " + fingerprint(model).encode()
    assert leftovers(cache) == []
    assert ensure_export(model, "m", cache, "fp32") == found[0] and len(calls) == 2  # no third export


def test_a_failed_export_names_the_model_and_the_fix_and_publishes_nothing(tmp_path, monkeypatch):
    def broken(model_dir, digest, folder):
        raise RuntimeError("Unsupported ONNX opset")

    monkeypatch.setattr(onnx_export, "_export_fp32", broken)
    model = model_folder(tmp_path / "m")
    with pytest.raises(OnnxExportError, match=r"exporting 'm' \(.*m\) to ONNX failed: RuntimeError: "
                                              r"Unsupported ONNX opset; use backend 'torch'"):
        ensure_export(model, "m", tmp_path / "cache", "fp32")
    assert list((tmp_path / "cache").rglob("*.onnx")) == []


def test_the_folder_is_keyed_by_name_and_weights_not_by_hidden_files(tmp_path):
    model = model_folder(tmp_path / "m")
    before = fingerprint(model)
    (model / ".gitattributes").write_text("*.safetensors filter=lfs")
    assert fingerprint(model) == before
    (model / "model.safetensors").write_bytes(b"retrained weights")
    assert fingerprint(model) != before
    folder = export_folder("sentence-transformers/all MiniLM", before, tmp_path)
    assert folder.parent == tmp_path and folder.name.startswith("sentence-transformers_all_MiniLM-")


def test_cache_keys_name_backend_and_precision():
    assert OnnxEmbedder("m").cache_key == "m|torch|fp32"  # the same vectors as torch: one cache
    assert OnnxEmbedder("m", precision="int8").cache_key == "m|onnx|int8"
    with pytest.raises(ValueError, match="precision 'int4'"):
        OnnxEmbedder("m", precision="int4")


def test_load_embedder_refuses_an_unknown_backend():
    with pytest.raises(ValueError, match="unknown embedding backend 'tensorflow'; choose one of auto, torch"):
        load_embedder("all-MiniLM-L6-v2", backend="tensorflow")


def test_the_hashing_model_ignores_the_backend():
    assert isinstance(load_embedder("hash:32", backend="onnx"), HashingEmbedder)


def test_onnx_asked_for_by_name_fails_with_the_fix_when_the_model_is_no_folder(tmp_path):
    with pytest.raises(OnnxExportError, match="'no/such-model' is not a local folder.*backend 'torch'"):
        load_embedder("no/such-model", backend="onnx")


def test_auto_falls_back_to_torch_and_says_why(caplog):
    with caplog.at_level(logging.WARNING, logger="footnote.index"):
        embedder = load_embedder("no/such-model", backend="auto")
    assert isinstance(embedder, SentenceTransformerEmbedder) and embedder.cache_key == "no/such-model|torch|fp32"
    assert "embedding no/such-model with torch, not ONNX Runtime: model 'no/such-model' is not a local" in caplog.text


def test_auto_falls_back_to_torch_without_onnxruntime(tmp_path, monkeypatch, caplog):
    monkeypatch.setitem(__import__("sys").modules, "onnxruntime", None)  # as if not installed
    with caplog.at_level(logging.WARNING, logger="footnote.index"):
        embedder = load_embedder(str(model_folder(tmp_path / "m")), backend="auto")
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert "not ONNX Runtime: " in caplog.text and "onnxruntime" in caplog.text
