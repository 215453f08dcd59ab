"""Embedding through Ray Data (a local Ray with two CPUs): the same chunks and vectors as the
local executor, and the vector cache still spares unchanged text."""

from __future__ import annotations

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


def test_ray_embeds_the_same_chunks_and_vectors_as_the_local_executor(tmp_path, local_ray):
    corpus = write(tmp_path / "corpus", dict(ARTICLES))
    embedder = HashingEmbedder(64)
    build_index(corpus, tmp_path / "local", embedder, ChunkParams(40), progress=False)
    summary = build_index(corpus, tmp_path / "ray", embedder, ChunkParams(40), progress=False, executor=local_ray)
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
