"""What every embedder promises, checked on the model-free one, on sentence-transformers (torch)
and on ONNX Runtime: unit vectors, and `encode_with_spans` (late chunking): the text vectors of
`encode`, one vector per span in the given order, spans that the model did not see filled with
their own text's vector."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from index.embed import HashingEmbedder

TEXTS = [
    "The city council approved the Larkspur Line on Tuesday. The light rail line will cost 1.2 "
    "billion dollars and run twelve kilometres.",
    "Tunnel workers went on strike over night shifts.\nThe union said the boring machine Marigold "
    "stood idle for nine days.",
    "Zürich's café reopened after the flood. 東京の電車は時間通りです。",
]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The spans of the sentences in TEXTS (each ends at '. ', '.\\n' or the end)."""
    spans, start = [], 0
    for i, char in enumerate(text):
        if char in ".。" and (i + 1 == len(text) or text[i + 1] in " \n" or char == "。"):
            spans.append((start, i + 1))
            start = i + 2 if char == "." else i + 1
    return spans


SPANS = [sentence_spans(text) for text in TEXTS]


@pytest.fixture(params=["hash", pytest.param("torch", marks=pytest.mark.model),
                        pytest.param("onnx", marks=pytest.mark.model)])
def embedder(request):
    if request.param == "hash":
        return HashingEmbedder(64)
    return request.getfixturevalue(f"{request.param}_embedder")


def norms(vectors: np.ndarray) -> np.ndarray:
    return np.linalg.norm(vectors, axis=1)


def test_the_sentences_of_the_fixture_are_what_they_say():
    assert [TEXTS[1][s:e] for s, e in SPANS[1]] == [
        "Tunnel workers went on strike over night shifts.",
        "The union said the boring machine Marigold stood idle for nine days."]
    assert [len(s) for s in SPANS] == [2, 2, 2]


def test_encode_gives_unit_vectors_of_the_dimension(embedder):
    vectors = embedder.encode(TEXTS)
    assert vectors.shape == (3, embedder.dimension) and vectors.dtype == np.float32
    np.testing.assert_allclose(norms(vectors), 1.0, atol=1e-5)


def test_encode_with_spans_gives_encodes_vectors_and_one_unit_vector_per_span(embedder):
    vectors, pooled = embedder.encode_with_spans(TEXTS, SPANS)
    np.testing.assert_allclose(vectors, embedder.encode(TEXTS), atol=1e-5)
    assert [p.shape for p in pooled] == [(len(s), embedder.dimension) for s in SPANS]
    for block in pooled:
        np.testing.assert_allclose(norms(block), 1.0, atol=1e-5)


def test_each_span_vector_is_nearest_to_its_own_sentence(embedder):
    _, pooled = embedder.encode_with_spans(TEXTS, SPANS)
    alone = embedder.encode([text[s:e] for text, spans in zip(TEXTS, SPANS) for s, e in spans])
    similarity = np.concatenate(pooled) @ alone.T
    assert list(similarity.argmax(axis=1)) == list(range(len(alone)))


def test_span_vectors_follow_the_order_of_the_spans(embedder):
    _, pooled = embedder.encode_with_spans(TEXTS, SPANS)
    _, reversed_ = embedder.encode_with_spans(TEXTS, [spans[::-1] for spans in SPANS])
    for forward, backward in zip(pooled, reversed_):
        np.testing.assert_allclose(backward, forward[::-1], atol=1e-5)
    assert not np.allclose(pooled[0][0], pooled[0][1], atol=1e-3)


def test_no_spans_and_no_texts(embedder):
    vectors, pooled = embedder.encode_with_spans(TEXTS, [[], [], []])
    np.testing.assert_allclose(vectors, embedder.encode(TEXTS), atol=1e-5)
    assert [p.shape for p in pooled] == [(0, embedder.dimension)] * 3
    vectors, pooled = embedder.encode_with_spans([], [])
    assert vectors.shape == (0, embedder.dimension) and pooled == []


def test_spans_the_model_did_not_see_get_their_own_texts_vector(embedder):
    head = "Commuters waited on the platform for the first train of the morning. "
    tail = "The ferry made its last crossing after forty years."
    text = head * 40 + tail  # far past the model's 256 tokens: the tail is cut off
    spans = [(len(text) - len(tail), len(text)), (5, 5)]
    _, (pooled,) = embedder.encode_with_spans([text], [spans])
    np.testing.assert_allclose(pooled, embedder.encode([tail, ""]), atol=1e-5)


def test_spans_that_do_not_fit_are_refused(embedder):
    with pytest.raises(ValueError, match="span lists"):
        embedder.encode_with_spans(TEXTS, SPANS[:2])


def test_the_tokenizer_alone_travels_and_counts_tokens_as_the_embedder_does(embedder):
    # What chunking on Ray gets instead of the model: pickled to the workers and back.
    alone = pickle.loads(pickle.dumps(embedder.span_tokenizer()))
    assert alone.token_spans(TEXTS) == embedder.token_spans(TEXTS) and len(alone.token_spans(TEXTS)[0]) > 10
    assert alone.special_tokens == embedder.special_tokens


@pytest.mark.parametrize("at_once", [2, 1024])  # texts counted in one array: several arrays, or one
def test_the_model_free_vectors_are_their_words_hashed_one_by_one(monkeypatch, at_once):
    """The hash embedder's definition, word by word: each lower-cased word adds +1 or -1 (its
    blake2b's fifth byte) to one bucket (its first four bytes); the row scaled to unit length.
    The same after the embedder travels (its remembered words stay behind)."""
    import hashlib
    import re

    from index.embed import hashing

    monkeypatch.setattr(hashing, "COUNTED_AT_ONCE", at_once)
    texts = [*TEXTS, "", "...", "Ferry ferry FERRY", "straße STRASSE"]
    expected = np.zeros((len(texts), 64), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            expected[row, int.from_bytes(digest[:4], "little") % 64] += 1.0 if digest[4] & 1 else -1.0
    expected /= np.maximum(np.linalg.norm(expected, axis=1, keepdims=True), 1e-12)
    embedder = HashingEmbedder(64)
    for _ in range(2):  # the second time from the words it remembers
        assert np.array_equal(embedder.encode(texts), expected)
    assert np.array_equal(pickle.loads(pickle.dumps(embedder)).encode(texts), expected)
