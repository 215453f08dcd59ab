"""The ONNX Runtime embedder against sentence-transformers on the real bundled model: the same
vectors on ~200 varied texts, the same 256-token truncation, token type ids fixed at zero inside
the graph, padding that changes nothing, no torch at query time; int8 close but not equal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from corpus.load import load_corpus
from index.embed import DEFAULT_MODEL, load_embedder
from corpus.sentences import split_sentences

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parents[1]
UNICODE = ["Zürich café crème brûlée", "東京の電車は時間通りです。", "Москва и Санкт-Петербург",
           "مرحبا بالعالم", "emoji 🚆🚇 and symbols ™ © ½ → ≥", "naïve façade coöperate", "  spaced\tout\n\ntext  ",
           "", " ", "a", "?!", "1987-02-26 15:01:01.79", "https://example.org/a?b=c&d=e", "MiXeD CaSe ACRONYMS NATO"]


def varied_texts() -> list[str]:
    """Questions, sentences, paragraphs and whole articles (many past 256 tokens) of the demo
    corpus, and unicode and edge cases: about 200 texts."""
    articles = list(load_corpus(ROOT / "corpus" / "demo").articles)
    texts = [f"What did {a.title} say?" for a in articles] + [a.text for a in articles]
    for article in articles:
        paragraphs = [p for p in article.text.split("\n\n") if p.strip()]
        texts += paragraphs[:4] + [article.text[s:e] for s, e in split_sentences(article.text)[:6]]
        texts.append(" ".join([article.text] * 3))  # far past 256 tokens
    return texts[:190] + UNICODE


def test_onnx_reproduces_the_torch_vectors(torch_embedder, onnx_embedder):
    texts = varied_texts()
    token_counts = [len(t) + 2 for t in onnx_embedder.token_spans(texts)]
    assert len(texts) >= 190 and sum(n > 256 for n in token_counts) >= 10 and min(token_counts) == 2
    cosine = (torch_embedder.encode(texts) * onnx_embedder.encode(texts)).sum(axis=1)
    worst = int(cosine.argmin())
    assert cosine[worst] >= 0.9999, (texts[worst][:80], cosine[worst])


def test_onnx_reads_the_first_256_tokens_only(onnx_embedder):
    article = next(iter(load_corpus(ROOT / "corpus" / "demo").articles)).text
    text = " ".join([article] * 4)
    tokens = onnx_embedder.token_spans([text])[0]
    assert len(tokens) > 400
    kept, dropped = text[:tokens[253][1]], text[tokens[254][0]:]  # 254 tokens + [CLS] + [SEP]
    whole, head, tail = onnx_embedder.encode([text, kept, dropped])
    assert whole @ head > 0.99999
    assert whole @ tail < 0.999


def test_token_type_ids_are_zeros_built_into_the_graph(onnx_embedder):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(onnx_embedder.folder / "model-fp32.onnx"),
                                           providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input_ids", "attention_mask"]
    assert [o.name for o in session.get_outputs()] == ["token_embeddings"]


def test_padding_in_a_batch_changes_no_vector(onnx_embedder):
    texts = ["Trains run every eight minutes.", "A much longer sentence about the harbour ferry, "
             "which made its last crossing after forty years of service on the bay."] * 3
    together = onnx_embedder.encode(texts)
    alone = np.concatenate([onnx_embedder.encode([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=2e-6)


def test_cache_key_and_tokens_match_the_torch_embedders(torch_embedder, onnx_embedder):
    assert onnx_embedder.cache_key == torch_embedder.cache_key == "all-MiniLM-L6-v2|torch|fp32"
    assert (onnx_embedder.dimension, onnx_embedder.special_tokens) == (384, 2)
    texts = varied_texts()[:40]
    assert onnx_embedder.token_spans(texts) == torch_embedder.token_spans(texts)


def test_questions_are_answered_without_torch(onnx_embedder):
    code = ("import sys; from index.embed import load_embedder; "
            "e = load_embedder('all-MiniLM-L6-v2', threads=1, backend='onnx'); e.encode(['When did the line open?']); "
            "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers', 'optimum') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_int8_stays_close_to_fp32_but_is_its_own_backend(onnx_embedder):
    int8 = load_embedder(DEFAULT_MODEL, backend="onnx-int8")
    assert int8.cache_key == "all-MiniLM-L6-v2|onnx|int8"
    texts = varied_texts()
    cosine = (int8.encode(texts) * onnx_embedder.encode(texts)).sum(axis=1)
    assert cosine.mean() > 0.97 and cosine.min() > 0.9
    assert cosine.mean() < 0.9999  # quantised weights do move the vectors
