"""Embedding through Ray Data (a local Ray with two CPUs): the same chunks and vectors as the
local executor, and the vector cache still spares unchanged text."""

from __future__ import annotations

import json

import numpy as np
import pytest

from corpus.chunk import ChunkParams
from index.build import build_index
from index.embed import HashingEmbedder
from index.executor import RayExecutor
from index.store import Filters, Generation
from tests.conftest import ARTICLES, article_txt, write

ray = pytest.importorskip("ray", reason="ray is not installed (pip install -e '.[scale]')")


@pytest.fixture(scope="module")
def local_ray():
    yield RayExecutor("hash:64", actors=2, batch_size=3, num_cpus=2)
    ray.shutdown()


def _rows(index_dir):
    with Generation.open(index_dir) as g:
        ids = g.chunk_ids(Filters()).tolist()
        rows = g.chunk_rows(ids)
        order = sorted(ids, key=lambda i: (rows[i][0].article_id, rows[i][0].ordinal))
        chunks = [rows[i][0] for i in order]
        sentences = g.sentence_vectors.vectors(range(g.sentence_vectors.count()))
        return chunks, g.vectors.vectors(order), sentences


@pytest.mark.parametrize("sentence_vectors", ["pooled", "own"])
def test_ray_embeds_the_same_chunks_and_vectors_as_the_local_executor(tmp_path, local_ray, sentence_vectors):
    corpus = write(tmp_path / "corpus", dict(ARTICLES))
    embedder = HashingEmbedder(64)
    build_index(corpus, tmp_path / "local", embedder, ChunkParams(40), progress=False,
                sentence_vectors=sentence_vectors)
    summary = build_index(corpus, tmp_path / "ray", embedder, ChunkParams(40), progress=False, executor=local_ray,
                          sentence_vectors=sentence_vectors)
    assert summary.chunks_embedded > 0 and summary.sentences_embedded > 0
    (chunks, vectors, sentences), (ray_chunks, ray_vectors, ray_sentences) = _rows(tmp_path / "local"), \
        _rows(tmp_path / "ray")
    assert ray_chunks == chunks
    for mine, theirs in ((vectors, ray_vectors), (sentences, ray_sentences)):
        assert mine.shape == theirs.shape and len(mine)
        cosine = np.sum(mine * theirs, axis=1) / np.linalg.norm(mine, axis=1) / np.linalg.norm(theirs, axis=1)
        assert np.all(cosine >= 0.9999)  # each row its own text's vector (stored as float16 by both)
    write(corpus, {"2026/tram.txt": article_txt("2026-02-01", "The old tram depot will become a museum. It opens in May.")})
    again = build_index(corpus, tmp_path / "ray", embedder, ChunkParams(40), progress=False, executor=local_ray)
    assert (again.added, again.chunks_embedded, again.sentences_embedded) == (1, 1, 2)  # the cache kept the rest


def test_ray_vectors_land_in_their_own_rows_whatever_the_batches(local_ray):
    texts = [f"text number {n} about {'trams' if n % 3 else 'ferries'}" for n in range(23)]
    got = RayExecutor("hash:64", actors=2, batch_size=4, num_cpus=2).embed(texts)
    np.testing.assert_allclose(got, HashingEmbedder(64).encode(texts), atol=1e-6)
    # Pooled spans come back with their own text, however many spans each has (none included).
    spans = [[(0, 4), (5, 11)][: n % 3] for n in range(23)]
    vectors, pooled = RayExecutor("hash:64", actors=2, batch_size=4, num_cpus=2).embed_with_spans(texts, spans)
    want_vectors, want_pooled = HashingEmbedder(64).encode_with_spans(texts, spans)
    np.testing.assert_allclose(vectors, want_vectors, atol=1e-6)
    assert [p.shape for p in pooled] == [(len(s), 64) for s in spans]
    for mine, theirs in zip(pooled, want_pooled):
        np.testing.assert_allclose(mine, np.asarray(theirs).reshape(-1, 64), atol=1e-6)


def test_footnote_index_executor_ray_builds_what_the_local_executor_builds(tmp_path, local_ray, capsys):
    from index.cli import main

    corpus = write(tmp_path / "corpus", dict(ARTICLES))
    common = ["--corpus", str(corpus), "--model", "hash:64", "--max-tokens", "40", "--json"]
    assert main(["index", "--index", str(tmp_path / "local"), *common]) == 0
    assert main(["index", "--index", str(tmp_path / "ray"), "--executor", "ray", "--ray-actors", "1", *common]) == 0
    local, ray_built = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert ray_built["chunks_embedded"] == local["chunks_embedded"] > 0
    assert _rows(tmp_path / "ray")[0] == _rows(tmp_path / "local")[0]


@pytest.mark.model
def test_ray_vectors_of_the_bundled_model_match_the_local_ones(real_embedder, local_ray):
    texts = [part for text in ARTICLES.values() for part in text.split("\n") if part.strip()]
    got = RayExecutor(real_embedder.name, actors=1, batch_size=4, num_cpus=2).embed(texts)
    want = real_embedder.encode(texts)
    cosine = np.sum(got * want, axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    assert len(texts) > 8 and cosine.min() >= 0.9999
