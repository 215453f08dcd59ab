"""Reading, chunking and embedding through Ray Data (a local Ray with two CPUs): the same
articles, chunks and vectors as the local executor, bad files skipped for the same reasons, only
the changed files read again, and the vector cache still spares unchanged text."""

from __future__ import annotations

import json

import numpy as np
import pytest

from corpus.chunk import ChunkParams, split_articles
from corpus.load import load_corpus
from index.build import build_index
from index.embed import HashingEmbedder
from index.executor import RayExecutor
from index.ray_work import CorpusNotShared
from index.store import Filters, Generation
from tests.conftest import ARTICLES, DEMO, article_txt, write

ray = pytest.importorskip("ray", reason="ray is not installed (pip install -e '.[scale]')")
PARAMS = ChunkParams(24)  # short chunks: a long article is cut in two, with an overlap


@pytest.fixture(scope="module")
def local_ray():
    yield RayExecutor("hash:64", actors=2, batch_size=3, num_cpus=2)
    ray.shutdown()


def _rows(index_dir):
    """(articles, chunks, chunk vectors, sentence vectors) of the index, articles and chunks in
    id order."""
    with Generation.open(index_dir) as g:
        ids = g.chunk_ids(Filters()).tolist()
        rows = g.chunk_rows(ids)
        order = sorted(ids, key=lambda i: (rows[i][0].article_id, rows[i][0].ordinal))
        chunks = [rows[i][0] for i in order]
        sentences = g.sentence_vectors.vectors(range(g.sentence_vectors.count()))
        return sorted(g.articles(), key=lambda a: a.id), chunks, g.vectors.vectors(order), sentences


def _read_and_chunked(executor) -> tuple[int, int]:
    """What the Ray workers have sent back so far: files read, articles chunked."""
    return executor.done["files read"], executor.done["articles chunked"]


@pytest.mark.parametrize("sentence_vectors", ["pooled", "own"])
def test_ray_reads_chunks_and_embeds_as_the_local_executor_and_only_what_changed(tmp_path, local_ray, sentence_vectors):
    corpus = write(tmp_path / "corpus", dict(ARTICLES))
    embedder = HashingEmbedder(64)
    build_index(corpus, tmp_path / "local", embedder, PARAMS, progress=False,
                sentence_vectors=sentence_vectors)
    files, articles = _read_and_chunked(local_ray)
    summary = build_index(corpus, tmp_path / "ray", embedder, PARAMS, progress=False, executor=local_ray,
                          sentence_vectors=sentence_vectors)
    assert summary.chunks_embedded > 0 and summary.sentences_embedded > 0
    assert _read_and_chunked(local_ray) == (files + len(ARTICLES), articles + len(ARTICLES))  # all on Ray
    (stored, chunks, vectors, sentences), (ray_stored, ray_chunks, ray_vectors, ray_sentences) = \
        _rows(tmp_path / "local"), _rows(tmp_path / "ray")
    assert ray_stored == stored and len(stored) == len(ARTICLES)
    assert ray_chunks == chunks and len(chunks) > len(stored)  # ids, ordinals, offsets and text
    for mine, theirs in ((vectors, ray_vectors), (sentences, ray_sentences)):
        assert mine.shape == theirs.shape and len(mine)
        cosine = np.sum(mine * theirs, axis=1) / np.linalg.norm(mine, axis=1) / np.linalg.norm(theirs, axis=1)
        assert np.all(cosine >= 0.9999)  # each row its own text's vector (stored as float16 by both)
    write(corpus, {"2026/tram.txt": article_txt("2026-02-01", "The old tram depot will become a museum. It opens in May.")})
    files, articles = _read_and_chunked(local_ray)
    again = build_index(corpus, tmp_path / "ray", embedder, PARAMS, progress=False, executor=local_ray)
    assert (again.added, again.chunks_embedded, again.sentences_embedded) == (1, 1, 2)  # the cache kept the rest
    assert _read_and_chunked(local_ray) == (files + 1, articles + 1)  # only the new file went to Ray


BAD_FILES = {
    "scan.pdf": "%PDF-1.4",
    "photo.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "latin.txt": "date 2026-01-01\n\nCaf\xe9 opens.".encode("latin-1"),
    "notes/yaml.md": "---\ntitle: [unclosed\n---\nBody.",
    "wire.jsonl": '{"text": "ok"}\n{broken\n',
    "2025/council-approves-line.md": "---\ntitle: A second file with the same id\n---\nBody.",  # takes the id
}
SKIPPED = sorted({*BAD_FILES, "link.txt", "2025/council-approves-line.txt"} - {"2025/council-approves-line.md"})


def test_ray_skips_bad_files_for_the_same_reasons_and_keeps_what_they_held(tmp_path, local_ray):
    outside = write(tmp_path / "outside", {"secret.txt": article_txt("2026-01-01", "Not in the corpus.")})
    corpus = write(tmp_path / "corpus", {**ARTICLES, **BAD_FILES})
    (corpus / "link.txt").symlink_to(outside / "secret.txt")
    embedder = HashingEmbedder(64)
    local = build_index(corpus, tmp_path / "local", embedder, PARAMS, progress=False)
    on_ray = build_index(corpus, tmp_path / "ray", embedder, PARAMS, progress=False, executor=local_ray)
    assert [s["path"] for s in on_ray.skipped] == SKIPPED
    assert on_ray.skipped == local.skipped and on_ray.articles_total == local.articles_total == len(ARTICLES)
    # A good file going bad keeps its article as last indexed; one turned into a link out of the
    # corpus loses it. Both builds agree, and Ray read only those two files and the skipped ones.
    write(corpus, {"2026/line-opens.txt": b"\xff\xfe\x00oops"})
    (corpus / "2025/tunnel-strike.md").unlink()
    (corpus / "2025/tunnel-strike.md").symlink_to(outside / "secret.txt")
    files, _ = _read_and_chunked(local_ray)
    local = build_index(corpus, tmp_path / "local", embedder, PARAMS, progress=False)
    on_ray = build_index(corpus, tmp_path / "ray", embedder, PARAMS, progress=False, executor=local_ray)
    assert on_ray.kept == local.kept == ["2026/line-opens"] and on_ray.removed == local.removed == 1
    assert on_ray.skipped == local.skipped and len(on_ray.skipped) == len(SKIPPED) + 2
    assert _read_and_chunked(local_ray)[0] == files + 2 + len(SKIPPED)  # skipped files are tried every build
    assert _rows(tmp_path / "ray")[:2] == _rows(tmp_path / "local")[:2]


def test_a_ray_node_without_the_corpus_folder_is_a_clear_error(tmp_path, local_ray):
    # Every node reads the corpus at the builder's path: here the folder is absent, as it is on a
    # node that does not mount the shared filesystem.
    missing = tmp_path / "not-mounted"
    with pytest.raises(CorpusNotShared, match=f"corpus folder {missing} does not exist on the Ray node .*"
                                              "mounts at"):
        local_ray.read_files(missing, [missing / "a.txt"], 1024)


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


def test_actors_take_the_clusters_gpus_unless_told(local_ray):
    """GPUs are used when the cluster has them (this machine has none: the choice is checked on
    the resources Ray reports, and the local cluster's own)."""
    import ray

    auto = RayExecutor("hash:64", actors=2)
    assert auto.gpus_per_actor(ray.cluster_resources()) == 0.0  # this local Ray has no GPU
    assert auto.gpus_per_actor({"CPU": 16, "GPU": 4}) == 1.0
    assert auto.gpus_per_actor({"CPU": 16, "GPU": 1}) == 0.5  # fewer GPUs than actors: shared
    assert RayExecutor("hash:64", actors=2, gpus=0).gpus_per_actor({"GPU": 4}) == 0.0
    assert RayExecutor("hash:64", actors=2, gpus=2).gpus_per_actor({}) == 2.0
    with pytest.raises(ValueError, match="--ray-gpus -1.*0 for CPU only"):
        RayExecutor("hash:64", gpus=-1)


def test_footnote_index_executor_ray_builds_what_the_local_executor_builds(tmp_path, local_ray, capsys):
    from index.cli import main

    corpus = write(tmp_path / "corpus", dict(ARTICLES))
    common = ["--corpus", str(corpus), "--model", "hash:64", "--max-tokens", str(PARAMS.max_tokens), "--json"]
    assert main(["index", "--index", str(tmp_path / "local"), *common]) == 0
    assert main(["index", "--index", str(tmp_path / "ray"), "--executor", "ray", "--ray-actors", "1", *common]) == 0
    local, ray_built = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert ray_built["chunks_embedded"] == local["chunks_embedded"] > 0
    assert _rows(tmp_path / "ray")[:2] == _rows(tmp_path / "local")[:2]


@pytest.mark.model
def test_ray_chunks_with_the_bundled_models_tokenizer_as_the_local_executor_does(real_embedder, local_ray):
    articles = load_corpus(DEMO).articles
    params = ChunkParams(64)  # short chunks: several per article, sentences cut to the budget
    got = local_ray.split_articles(articles, real_embedder.span_tokenizer(), params)
    want = split_articles(articles, real_embedder, params)
    assert got == want and sum(len(chunks) for chunks, _ in want) > len(articles)


@pytest.mark.model
def test_ray_vectors_of_the_bundled_model_match_the_local_ones(real_embedder, local_ray):
    texts = [part for text in ARTICLES.values() for part in text.split("\n") if part.strip()]
    got = RayExecutor(real_embedder.name, actors=1, batch_size=4, num_cpus=2).embed(texts)
    want = real_embedder.encode(texts)
    cosine = np.sum(got * want, axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    assert len(texts) > 8 and cosine.min() >= 0.9999
