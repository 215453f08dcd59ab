"""Damaged index files are caught and named with the fix, never served: flipped bytes in a
segment, a segment from another model's index, a vector cache with a zeroed block or a cache
database that is not one, and a full disk while the cache is written."""

from __future__ import annotations

import errno
import json
import shutil
import sqlite3

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from corpus.chunk import ChunkParams
from index import store
from index.answer import AskRequest
from index.assemble import open_answerer
from index.build import DiskFull, build_index
from index.embed import HashingEmbedder, VectorCache
from index.store import Generation, IndexCorrupt
from index.store import integrity
from index.store.layout import STAMPS_FILE
from index.store.segment import SEGMENT_FILE
from tests.conftest import article_txt, make_settings, write

NEWS = {f"{n}.txt": article_txt("2026-01-05", f"The {n} project started this week.",
                                f"Officials said the {n} would cost more than planned.")
        for n in ("ferry", "bridge", "tram", "harbour", "market")}


def build(corpus, index, dimension=64, **kwargs):
    return build_index(corpus, index, HashingEmbedder(dimension), ChunkParams(16), progress=False, **kwargs)


@pytest.fixture
def built(tmp_path):
    corpus = write(tmp_path / "corpus", NEWS)
    build(corpus, tmp_path / "index")
    return corpus, tmp_path / "index"


def only_segment(index):
    [segment] = [p for p in store.segments_dir(index).iterdir() if p.is_dir()]
    return segment


@pytest.mark.parametrize("name", ["sentences.npy", "rows.sqlite", "vectors.faiss"])
def test_a_flipped_byte_in_a_segment_is_refused_with_the_fix(built, name):
    corpus, index = built
    path = only_segment(index) / name
    data = bytearray(path.read_bytes())
    data[len(data) * 2 // 3] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match=rf"{name} does not match its checksum; rebuild the index with "
                                           r"`footnote index --rebuild`"):
        Generation.open(index)
    answerer = open_answerer(index, HashingEmbedder(64))
    with pytest.raises(IndexCorrupt):
        answerer.answer(AskRequest("What did the ferry cost?"))
    with TestClient(create_app(make_settings(index.parent, reader="off"))) as client:
        assert client.get("/readyz").status_code == 503
        r = client.post("/v1/ask", json={"question": "What did the ferry cost?"})
        assert r.status_code == 503 and "footnote index --rebuild" in r.json()["error"]["message"]
    summary = build(corpus, index, rebuild=True)  # the fix the message names works
    assert summary.articles_total == 5 and Generation.open(index).chunk_count() > 0


@pytest.mark.parametrize("name", ["sentences.npy", "rows.sqlite", "vectors.faiss"])
def test_footnote_index_rebuilds_a_segment_with_a_flipped_byte_instead_of_calling_it_up_to_date(built, name):
    corpus, index = built
    assert build(corpus, index).up_to_date  # whole: up to date, and its files' stamps kept
    path = only_segment(index) / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    summary = build(corpus, index)
    assert not summary.up_to_date and summary.articles_total == 5
    with Generation.open(index) as generation:  # what is served now is whole
        assert generation.chunk_count() > 0


def test_an_unchanged_index_is_found_whole_without_reading_its_files_again(built, monkeypatch):
    corpus, index = built
    assert build(corpus, index).up_to_date  # reads each file once, and keeps its stamp
    reads = []
    real = integrity.file_sha256
    monkeypatch.setattr(integrity, "file_sha256", lambda path: reads.append(path.name) or real(path))
    assert build(corpus, index).up_to_date and reads == []
    (only_segment(index) / "rows.sqlite").touch()  # changed on disk, even if to the same bytes: read again
    assert build(corpus, index).up_to_date and reads == ["rows.sqlite"]


def test_a_segment_of_another_models_index_is_refused_and_rebuilt(built, tmp_path):
    corpus, index = built
    other = tmp_path / "other"
    build(corpus, other, dimension=32)
    target = only_segment(index)
    shutil.rmtree(target)
    shutil.copytree(only_segment(other), target)  # same segment name in both: the first one built
    with pytest.raises(IndexCorrupt, match="holds 32-dimension vectors, but the index's model makes 64: it belongs "
                                           "to another index"):
        Generation.open(index)
    summary = build(corpus, index)  # not "up to date": the segment is not whole for this model
    assert not summary.up_to_date and Generation.open(index).chunk_count() > 0


def test_an_old_segment_without_a_recorded_dimension_is_checked_by_its_vectors(built, tmp_path):
    corpus, index = built
    other = tmp_path / "other"
    build(corpus, other, dimension=32)
    spec_path = only_segment(other) / SEGMENT_FILE
    spec = json.loads(spec_path.read_text())
    del spec["dimension"], spec["sha256"]
    spec_path.write_text(json.dumps(spec))
    shutil.rmtree(only_segment(index))
    shutil.copytree(only_segment(other), store.segments_dir(index) / only_segment(other).name)
    with pytest.raises(IndexCorrupt, match="holds 32-dimension vectors"):
        Generation.open(index)


def vectors_of(index):
    generation = Generation.open(index)
    try:
        return np.vstack([s.sentences.vectors(np.arange(s.sentence_count)) for s in generation.segments])
    finally:
        generation.close()


def test_a_zeroed_block_of_the_vector_cache_is_embedded_again_on_rebuild(built):
    corpus, index = built
    clean = vectors_of(index)
    [vector_file] = index.glob("cache.sqlite.*.f32")
    data = bytearray(vector_file.read_bytes())
    data[len(data) // 4: len(data) // 2] = bytes(len(data) // 2 - len(data) // 4)
    vector_file.write_bytes(bytes(data))
    summary = build(corpus, index, rebuild=True)
    assert summary.chunks_embedded > 0  # the damaged vectors were not reused
    assert np.allclose(vectors_of(index), clean, atol=1e-3)


def test_a_cache_database_that_is_not_one_is_set_aside_and_the_build_goes_on(built, caplog):
    corpus, index = built
    (index / "cache.sqlite").write_bytes(b"this is not a database" * 100)
    for extra in ("cache.sqlite-wal", "cache.sqlite-shm"):
        (index / extra).unlink(missing_ok=True)
    summary = build(corpus, index, rebuild=True)
    assert summary.articles_total == 5
    assert (index / "cache.sqlite.damaged-1").read_bytes().startswith(b"this is not a database")
    assert "set aside as cache.sqlite.damaged-1" in caplog.text
    sqlite3.connect(index / "cache.sqlite").execute("SELECT count(*) FROM entries").fetchone()


def test_a_full_disk_takes_back_what_the_failed_write_appended(tmp_path, monkeypatch):
    cache = VectorCache(tmp_path / "cache.sqlite", "k", 8)
    keys = [i.to_bytes(32, "little") for i in range(20)]
    cache.put_many(keys[:10], np.ones((10, 8), dtype=np.float32))
    size = cache.vector_file.stat().st_size
    real_write = __import__("os").write

    def full(fd, data):
        real_write(fd, bytes(data)[:40])  # part of a row, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("index.embed.cache.os.write", full)
    with pytest.raises(OSError):
        cache.put_many(keys[10:], np.full((10, 8), 2, dtype=np.float32))
    assert cache.vector_file.stat().st_size == size
    assert len(cache.get_many(keys)) == 10


def test_nan_features_make_the_answer_decline(built):
    from index.answer.confidence import WEIGHTS, score
    features = {name: 0.5 for name in WEIGHTS if name != "bias"} | {"passage_cosine": float("nan")}
    assert score(features) == 0.0


def test_a_build_that_fills_the_disk_names_the_fix_keeps_serving_and_leaves_the_cache_as_it_was(built, monkeypatch):
    corpus, index = built
    before = Generation.open(index).name
    [vector_file] = index.glob("cache.sqlite.*.f32")
    size = vector_file.stat().st_size
    write(corpus, {f"more-{n}.txt": article_txt("2026-02-01", f"Extra story number {n} about the quay.")
                   for n in range(600)})  # more than one batch of texts to embed
    real_put = VectorCache.put_many
    calls = []

    def put_then_fill(self, hashes, vectors):
        calls.append(len(hashes))
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.vector_file))
        real_put(self, hashes, vectors)

    monkeypatch.setattr(VectorCache, "put_many", put_then_fill)
    monkeypatch.setattr("index.build.vectors.CACHE_WRITE_S", 0)  # each batch written as it comes
    with pytest.raises(DiskFull, match=rf"the disk holding {index} is full .*free space there .*run "
                                       r"`footnote index` again"):
        build(corpus, index)
    assert vector_file.stat().st_size == size  # the first batch this build wrote was taken back too
    assert Generation.open(index).name == before  # the previous generation still serves
    assert not [p for p in store.segments_dir(index).iterdir() if p.name.startswith(".") and p.name != STAMPS_FILE]
