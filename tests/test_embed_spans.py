"""Span pooling (late chunking) without a model: which tokens a span takes, what counts as
missing, how missing spans are filled, and how bad spans are refused."""

from __future__ import annotations

import numpy as np
import pytest

from index.embed.spans import check_spans, fill_missing, mean_pool, pool_spans, split_rows

# "[CLS] the cat sat . [SEP]" over the text "the cat sat." with one-hot-ish token vectors.
OFFSETS = [(0, 0), (0, 3), (4, 7), (8, 11), (11, 12), (0, 0)]
SPECIAL = [1, 0, 0, 0, 0, 1]
TOKENS = np.array([[9, 9, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [9, 0, 9]], dtype=np.float32)


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_a_span_is_the_mean_of_the_tokens_it_overlaps_without_special_tokens():
    pooled, missing = pool_spans(TOKENS, OFFSETS, SPECIAL, [(4, 11), (0, 3), (5, 6)], seen_until=12)
    assert missing == []
    np.testing.assert_allclose(pooled[0], unit([0, 1, 1]), atol=1e-6)  # "cat sat", in the given order
    np.testing.assert_allclose(pooled[1], unit([1, 0, 0]), atol=1e-6)  # "the"
    np.testing.assert_allclose(pooled[2], unit([0, 1, 0]), atol=1e-6)  # inside "cat": its token


def test_spans_that_no_token_reaches_or_that_truncation_cut_are_missing():
    pooled, missing = pool_spans(TOKENS, OFFSETS, SPECIAL, [(3, 4), (2, 2), (0, 3), (8, 12)], seen_until=10)
    assert missing == [0, 1, 3]  # a space, an empty span, and a span past the cut at 10
    assert not pooled[[0, 1, 3]].any()
    np.testing.assert_allclose(np.linalg.norm(pooled[2]), 1.0, atol=1e-6)


def test_missing_spans_get_the_vector_of_their_own_text():
    texts = ["the cat sat.", "a dog"]
    spans = [[(0, 3), (4, 7)], [(2, 5)]]
    pooled = [np.ones((2, 3), dtype=np.float32), np.ones((1, 3), dtype=np.float32)]
    seen = []

    def encode(batch):
        seen.append(batch)
        return np.arange(len(batch) * 3, dtype=np.float32).reshape(len(batch), 3)

    filled = fill_missing(encode, texts, spans, pooled, [[1], [0]])
    assert seen == [["cat", "dog"]]  # one call for every missing span
    np.testing.assert_array_equal(filled[0], [[1, 1, 1], [0, 1, 2]])
    np.testing.assert_array_equal(filled[1], [[3, 4, 5]])


def test_nothing_missing_encodes_nothing():
    pooled = [np.ones((1, 3), dtype=np.float32)]
    assert fill_missing(lambda batch: pytest.fail("encoded"), ["x"], [[(0, 1)]], pooled, [[]]) is pooled


def test_mean_pool_averages_over_the_mask_only():
    hidden = np.array([[[1, 1], [3, 3], [100, 100]]], dtype=np.float32)
    np.testing.assert_allclose(mean_pool(hidden, np.array([[1, 1, 0]])), [[2, 2]])


@pytest.mark.parametrize("spans, message", [
    ([[(0, 2)]], "2 texts but 1 span lists"),
    ([[(0, 2)], [(1, 9)]], "span (1, 9) of text 1 lies outside its 3 characters"),
    ([[(2, 1)], []], "span (2, 1) of text 0"),
])
def test_spans_that_do_not_fit_their_texts_are_refused(spans, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_spans(["abc", "def"], spans)


def test_split_rows_cuts_consecutive_blocks():
    blocks = split_rows(np.arange(10).reshape(5, 2), [2, 0, 3])
    assert [b.shape for b in blocks] == [(2, 2), (0, 2), (3, 2)]
    np.testing.assert_array_equal(blocks[2], [[4, 5], [6, 7], [8, 9]])
