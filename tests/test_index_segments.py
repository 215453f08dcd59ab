"""Segmented generations: an update writes only what changed, tombstones hide what was replaced
or removed, merges fold segments without changing what is found, readers keep their
generation, and the lexicon scores as BM25 and coverage are defined."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from corpus.chunk import ChunkParams
from corpus.terms import index_terms
from index import store
from index.build import build_index
from index.embed import HashingEmbedder, VectorCache
from index.search import Filters
from index.store import Generation, merge
from tests.conftest import ROOT, article_txt, write

TOPICS = ["ferry", "bridge", "tram", "harbour", "market", "library", "museum", "stadium", "airport", "canal"]


def corpus_of(root, names):
    return write(root, {f"{n}.txt": article_txt("2026-01-05", f"The {n} project started this week.",
                                                f"Officials said the {n} would cost more than planned.") for n in names})


def build(corpus, index, **kwargs):
    return build_index(corpus, index, HashingEmbedder(64), ChunkParams(16), progress=False, **kwargs)


def segment_ids(index) -> list[str]:
    return [s["id"] for s in store.read_manifest(store.generations_dir(index) / store.current_name(index))["segments"]]


def test_an_update_writes_one_small_segment_and_reuses_the_others(tmp_path):
    corpus, index = corpus_of(tmp_path / "c", TOPICS[:6]), tmp_path / "i"
    build(corpus, index)
    first = segment_ids(index)
    corpus_of(tmp_path / "c", ["airport"])
    summary = build(corpus, index)
    assert summary.added == 1 and segment_ids(index)[:len(first)] == first and len(segment_ids(index)) == 2
    new = store.segments_dir(index) / segment_ids(index)[-1]
    assert store.read_manifest(store.generations_dir(index) / summary.generation)["segments"][-1]["articles"] == 1
    assert sum(f.stat().st_size for f in new.rglob("*") if f.is_file()) < 200_000


def test_tombstones_hide_replaced_and_removed_articles(tmp_path):
    corpus, index = corpus_of(tmp_path / "c", TOPICS[:4]), tmp_path / "i"
    build(corpus, index)
    write(corpus, {"ferry.txt": article_txt("2026-02-01", "The ferry now sails to the lighthouse.")})
    (corpus / "tram.txt").unlink()
    summary = build(corpus, index)
    assert (summary.changed, summary.removed) == (1, 1)
    generation = Generation.open(index)
    assert sorted(a.id for a in generation.articles()) == ["bridge", "ferry", "harbour"]
    assert generation.article("tram") is None and "lighthouse" in generation.article("ferry").text
    found = generation.lexical(["tram", "ferry", "project"], Filters(), 50)
    texts = [generation.chunk_rows([i])[i][0].text for i in found]
    assert not any("tram" in t for t in texts) and not any("ferry project" in t for t in texts)
    _, ids = generation.vectors.search(HashingEmbedder(64).encode(["The tram project"])[0], 50)
    assert {generation.chunk_rows([int(i)])[int(i)][0].article_id for i in ids} == {"bridge", "ferry", "harbour"}
    assert generation.chunk_count() == len(ids)


def test_an_article_alone_in_its_segment_changed_twice_leaves_an_empty_segment_that_reads(tmp_path):
    corpus, index = corpus_of(tmp_path / "c", TOPICS[:4]), tmp_path / "i"
    build(corpus, index)
    for text in ("The canal reopened.", "The canal reopened to barges."):  # its segment is all tombstones
        write(corpus, {"canal.txt": article_txt("2026-02-01", text)})
        build(corpus, index)
    with Generation.open(index) as generation:
        assert [s.chunk_count for s in generation.segments].count(0) == 1  # rewritten without its one article
        hits = generation.lexical(["canal", "barges"], Filters(), 5)
        assert [generation.chunk_rows(hits)[hits[0]][0].article_id] == ["canal"]


def test_merges_fold_segments_and_find_exactly_what_a_clean_build_finds(tmp_path):
    corpus, index = corpus_of(tmp_path / "c", TOPICS[:1]), tmp_path / "i"
    build(corpus, index)
    for name in TOPICS[1:]:  # ten updates of one article each: a tier fills up and is merged
        corpus_of(tmp_path / "c", [name])
        build(corpus, index)
    assert len(segment_ids(index)) < merge.SEGMENTS_PER_TIER
    clean = tmp_path / "clean"
    build(corpus, clean)
    merged, fresh = Generation.open(index), Generation.open(clean)
    assert [a.id for a in merged.articles()] == [a.id for a in fresh.articles()]
    query = HashingEmbedder(64).encode(["canal market costs"])[0]
    everything = merged.chunk_count()
    assert everything == fresh.chunk_count()
    assert _scored(merged, *merged.vectors.search(query, everything)) == _scored(fresh, *fresh.vectors.search(query, everything))
    assert sorted(_texts(merged, merged.lexical(["canal", "cost"], Filters(), everything))) == sorted(
        _texts(fresh, fresh.lexical(["canal", "cost"], Filters(), everything)))
    used = set(segment_ids(index))
    assert {p.name for p in store.segments_dir(index).iterdir() if p.is_dir()} <= used | _previous_segments(index)


def _scored(generation, scores, ids):
    """(score, text) pairs, sorted: equal scores may come in another order in another layout."""
    return sorted((round(float(s), 5), t) for s, t in zip(scores, _texts(generation, ids)))


def _texts(generation, ids):
    return [generation.chunk_rows([int(i)])[int(i)][0].text for i in ids]


def _previous_segments(index) -> set[str]:
    gens = sorted(p.name for p in store.generations_dir(index).iterdir())
    return {s["id"] for name in gens for s in store.read_manifest(store.generations_dir(index) / name)["segments"]}


def test_a_reader_keeps_its_generation_and_its_segments_while_updates_publish(tmp_path):
    corpus, index = corpus_of(tmp_path / "c", TOPICS[:3]), tmp_path / "i"
    build(corpus, index)
    reader = Generation.open(index)
    write(corpus, {"ferry.txt": article_txt("2026-02-01", "The ferry was sold.")})
    build(corpus, index)
    assert "sold" not in reader.article("ferry").text and reader.article_count() == 3
    assert all(s.path.is_dir() for s in reader.segments)  # the previous generation keeps its segments
    write(corpus, {"bridge.txt": article_txt("2026-02-02", "The bridge was painted.")})
    build(corpus, index)
    assert "sold" in Generation.open(index).article("ferry").text
    reader.close()


def test_an_unchanged_file_is_not_read_again(tmp_path, monkeypatch):
    corpus, index = corpus_of(tmp_path / "c", TOPICS[:5]), tmp_path / "i"
    build(corpus, index)
    from corpus import load

    read = []
    original = load.load_file
    monkeypatch.setattr(load, "load_file", lambda root, path, *a: read.append(path.name) or original(root, path, *a))
    assert build(corpus, index).up_to_date and read == []
    os.utime(corpus / "tram.txt")  # touched, not changed: read once, still up to date
    assert build(corpus, index).up_to_date and read == ["tram.txt"]
    assert build(corpus, index).up_to_date and read == ["tram.txt"]


def test_the_lexicon_scores_bm25_as_defined(tmp_path):
    corpus, index = corpus_of(tmp_path / "c", TOPICS[:6]), tmp_path / "i"
    write(corpus, {"extra.txt": article_txt("2026-03-01", "The canal canal project and the ferry.")})
    build(corpus, index)
    generation = Generation.open(index)
    chunks = generation.chunks_of([a.id for a in generation.articles()])
    docs = [index_terms(c.text) for c in chunks]
    query = ["canal", "ferry"]
    n, avgdl = len(docs), sum(map(len, docs)) / len(docs)
    expected = []
    for doc in docs:
        score = 0.0
        for term in query:
            df = sum(term in d for d in docs)
            tf = doc.count(term)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            score += idf * tf * 2.2 / (tf + 1.2 * (1 - 0.75 + 0.75 * len(doc) / avgdl)) if tf else 0.0
        expected.append(score)
    [segment] = generation.segments
    scores = segment.lexicon.bm25(query, *_idf(generation, query), None)
    assert np.allclose(scores, expected, rtol=1e-5)
    found = generation.lexical(query, Filters(), 3)
    assert [chunks[i].text for i in found] == [chunks[i].text for i in np.argsort(-np.array(expected))[:3]]


@pytest.mark.parametrize("block", [5, 1 << 16])  # grams per MinHash block: many blocks, or one
def test_the_lexicon_holds_what_each_text_defines(monkeypatch, block):
    """Built all at once, the lexicon matches its definitions taken text by text: postings of each
    chunk's index terms, each sentence's distinct term ids, each chunk's MinHash of its shingles
    (all ones for a chunk with no words)."""
    from corpus import Chunk
    from corpus.terms import shingle_hashes
    from index.store import lexicon

    monkeypatch.setattr(lexicon, "MINHASH_BLOCK", block)
    texts = ["The ferries sail daily, and the ferry sails.", "— —", "Bridges", "Tram tram", "the of and",
             "Striking workers struck the striking yards; the yards struck back."]
    chunks = [Chunk("a", n, 0, len(t), t) for n, t in enumerate(texts)]
    sentences = [Chunk("a", n, 0, len(t), t) for n, t in enumerate(reversed(texts))]
    built = lexicon.Lexicon.build(chunks, sentences, {"a": 0})
    for n, c in enumerate(chunks):
        terms = index_terms(c.text)
        assert built.doc_len[n] == len(terms)
        for term in set(terms):
            at = built.term_ptr[built.vocab[term]] + list(
                built.post_doc[built.term_ptr[built.vocab[term]]:built.term_ptr[built.vocab[term] + 1]]).index(n)
            assert built.post_tf[at] == terms.count(term)
        assert built.minhash[n].tolist() == lexicon.minhash_of(shingle_hashes(c.text)).tolist()
    assert built.minhash[1].tolist() == [np.iinfo(np.uint64).max] * lexicon.MINHASHES
    for n, s in enumerate(sentences):
        expected = sorted({built.vocab[t] for t in index_terms(s.text)})
        assert built.sent_terms[built.sent_ptr[n]:built.sent_ptr[n + 1]].tolist() == expected
    assert built.df.tolist() == [int((built.post_doc[built.term_ptr[t]:built.term_ptr[t + 1]] >= 0).sum())
                                 for t in range(len(built.vocab))]


def _idf(generation, stems):
    from index.store.spread import bm25_idf

    return bm25_idf(generation, stems)


def test_sentence_coverage_sums_the_weights_of_the_terms_each_sentence_holds(tmp_path):
    corpus = write(tmp_path / "c", {"a.txt": article_txt("2026-01-01", "Ferries sail daily. The bridge opens. "
                                                         "Ferries and bridges cost money.")})
    build(corpus, tmp_path / "i")
    generation = Generation.open(tmp_path / "i")
    rows = generation.sentences_within(0)
    ferry, bridge, bridges, cost = (index_terms(w)[0] for w in ("ferries", "bridge", "bridges", "cost"))
    stems = [ferry, bridge, cost]
    coverage = generation.sentence_coverage([r[0] for r in rows], stems, np.array([1.0, 2.0, 4.0]))
    assert list(coverage) == [1.0, 2.0, 1.0 + 4.0 + (2.0 if bridges == bridge else 0.0)]


def test_the_vector_cache_stays_near_the_size_of_its_vectors_and_takes_over_old_caches(tmp_path):
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(3000, 64)).astype(np.float32)
    hashes = [i.to_bytes(32, "little") for i in range(3000)]
    cache = VectorCache(tmp_path / "cache.sqlite", "m|torch|fp32", 64)
    for i in range(0, 3000, 500):
        cache.put_many(hashes[i:i + 500], vectors[i:i + 500])
    assert np.allclose(cache.get_many(hashes[100:103])[hashes[101]], vectors[101])
    cache.close()
    size = sum(p.stat().st_size for p in tmp_path.iterdir())
    assert size <= 1.2 * vectors.nbytes + 200_000  # entries add a few bytes a vector, not kilobytes

    import sqlite3

    old = tmp_path / "old.sqlite"
    db = sqlite3.connect(old)
    db.execute("CREATE TABLE vectors (model TEXT, hash BLOB, vector BLOB, PRIMARY KEY (model, hash))")
    db.executemany("INSERT INTO vectors VALUES (?, ?, ?)", [("m", h, v.tobytes()) for h, v in zip(hashes[:5], vectors)])
    db.commit()
    db.close()
    adopted = VectorCache(old, "m|torch|fp32", 64, adopt="m")
    assert np.allclose(adopted.get_many(hashes[:5])[hashes[4]], vectors[4])


CONCURRENT = """
import sys, numpy as np
from index.embed import VectorCache
cache = VectorCache(sys.argv[1], "k", 8)
seed = int(sys.argv[2])
for i in range(40):
    keys = [(seed * 1000 + i * 10 + j).to_bytes(32, "little") for j in range(10)]
    cache.put_many(keys, np.full((10, 8), seed * 1000 + i * 10, dtype=np.float32) + np.arange(10)[:, None])
"""


def test_two_builds_sharing_a_cache_write_at_once_without_mixing_vectors(tmp_path):
    path = tmp_path / "shared.sqlite"
    VectorCache(path, "k", 8).close()
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(path), str(seed)], cwd=ROOT) for seed in (1, 2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    cache = VectorCache(path, "k", 8)
    for seed in (1, 2):
        keys = [(seed * 1000 + n).to_bytes(32, "little") for n in range(400)]
        got = cache.get_many(keys)
        assert len(got) == 400 and all(got[k][0] == seed * 1000 + n for n, k in enumerate(keys))


@pytest.mark.parametrize("point", ["writing-segment", "merging"])
def test_a_build_killed_while_writing_or_merging_segments_leaves_the_index_serving(tmp_path, point):
    corpus, index = corpus_of(tmp_path / "c", TOPICS[:1]), tmp_path / "i"
    build(corpus, index)
    for name in TOPICS[1:merge.SEGMENTS_PER_TIER - 1]:
        corpus_of(tmp_path / "c", [name])
        build(corpus, index)
    served = Generation.open(index).article_count()
    assert len(segment_ids(index)) == merge.SEGMENTS_PER_TIER - 1
    corpus_of(tmp_path / "c", TOPICS[:merge.SEGMENTS_PER_TIER])  # one more segment fills the tier: a merge
    script = KILL_IN_SEGMENTS.replace("POINT", point)
    proc = subprocess.run([sys.executable, "-c", script, str(corpus), str(index)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    assert Generation.open(index).article_count() == served
    rerun = build(corpus, index)
    assert Generation.open(index).article_count() == merge.SEGMENTS_PER_TIER == rerun.articles_total
    assert not [p for p in store.segments_dir(index).iterdir() if p.name.startswith(".tmp")]


KILL_IN_SEGMENTS = """
import os, signal, sys
import index.store.merge, index.store.segment
from corpus.chunk import ChunkParams
from index.build import build_index
from index.embed import HashingEmbedder

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if "POINT" == "writing-segment":
    index.store.segment.Lexicon.save = die
else:
    index.store.merge.write_segment = die
build_index(sys.argv[1], sys.argv[2], HashingEmbedder(64), ChunkParams(16), progress=False)
"""


def test_a_large_segment_gets_a_graph_that_finds_what_exact_search_finds(tmp_path, monkeypatch):
    """Above EXACT_BELOW chunks a segment's vectors go into an HNSW graph, its choice recorded;
    with a tombstone in it, it still finds what an exact index of the same articles finds."""
    from index.store import choose
    names = [f"{topic}{n}" for topic in TOPICS for n in range(6)]
    corpus = corpus_of(tmp_path / "c", names)
    monkeypatch.setattr(choose, "EXACT_BELOW", 40)
    build(corpus, tmp_path / "graph")
    spec = store.read_manifest(store.generations_dir(tmp_path / "graph") / store.current_name(tmp_path / "graph"))
    segment = json.loads((store.segments_dir(tmp_path / "graph") / spec["segments"][0]["id"] / "segment.json").read_text())
    assert segment["vectors"]["chunks"]["backend"] == "faiss-hnsw"
    assert segment["chunk_store_choice"]["recall_at_10"] >= choose.TARGET_RECALL
    assert "rows >= 40: HNSW" in segment["chunk_store_choice"]["reason"]
    write(corpus, {"ferry0.txt": article_txt("2026-02-01", "The ferry was sold to a harbour museum.")})
    build(corpus, tmp_path / "graph")
    monkeypatch.setattr(choose, "EXACT_BELOW", 10**9)
    build(corpus, tmp_path / "exact")
    graph, exact = Generation.open(tmp_path / "graph"), Generation.open(tmp_path / "exact")
    for question in ("officials said the ferry would cost more", "the canal project started", "sold to a museum"):
        query = HashingEmbedder(64).encode([question])[0]
        (found, ids), (truth, _) = graph.vectors.search(query, 10), exact.vectors.search(query, 10)
        # Hashed vectors share few words: past the rows that match, scores tie at zero. Every
        # row that matches must be found, as well as exact search scores it (the graph keeps its
        # vectors in half precision: about three digits).
        matching = np.sort(truth[truth > 0.01])
        assert len(matching) and np.allclose(np.sort(found[found > 0.01]), matching, atol=2e-3)
        assert not any("ferry0 would" in t for t in _texts(graph, ids))  # the replaced version is gone


def test_the_best_lexical_scores_are_those_a_full_stable_sort_gives():
    """BM25's top rows come from a partition, not a sort of every row: same rows, same order
    (ties by row), only positive scores, whatever the ties at the cut."""
    from index.store.generation import _best
    rng = np.random.default_rng(0)
    for _ in range(500):
        scores = rng.integers(0, 5, size=rng.integers(0, 300)).astype(np.float32) * 0.5
        limit = int(rng.integers(1, 50))
        expected = [i for i in np.argsort(-scores, kind="stable")[:limit] if scores[i] > 0]
        assert list(_best(scores, limit)) == expected


def test_a_large_collection_fans_its_searches_out_and_finds_the_same(tmp_path, monkeypatch):
    """Above FAN_OUT_FROM chunks a question's BM25 pass runs beside its encoding and the
    segments' dense searches side by side (index/store/fanout.py): same passages, same order,
    tombstones and filters included, and the work really ran on the fan-out threads."""
    import threading

    from index.answer import AskRequest
    from index.assemble import open_answerer
    from index.store import fanout, spread
    corpus, index = corpus_of(tmp_path / "c", TOPICS[:5]), tmp_path / "i"
    build(corpus, index)
    for names in (TOPICS[5:8], TOPICS[8:]):  # three segments
        corpus_of(tmp_path / "c", names)
        build(corpus, index)
    write(corpus, {"ferry.txt": article_txt("2026-02-01", "The ferry now sails to the lighthouse.")})
    build(corpus, index)
    assert len(segment_ids(index)) == 4
    requests = [AskRequest("Which project would cost more than planned?"), AskRequest("the ferry lighthouse"),
                AskRequest("museum project", filters=Filters(article_ids=("museum", "canal", "ferry")))]

    def answers() -> list:
        answerer = open_answerer(index, HashingEmbedder(64))
        return [[(p.chunk.article_id, p.chunk.start, round(p.score, 6)) for p in answerer.answer(r).passages]
                for r in requests]

    alone = answers()
    seen: dict[str, set[str]] = {"lexical": set(), "_search_part": set()}
    for owner, name in ((Generation, "lexical"), (spread, "_search_part")):
        original = getattr(owner, name)
        monkeypatch.setattr(owner, name, lambda *a, _f=original, _n=name, **kw: (
            seen[_n].add(threading.current_thread().name), _f(*a, **kw))[1])
    monkeypatch.setattr(fanout, "FAN_OUT_FROM", 1)
    side_by_side = answers()
    assert side_by_side == alone and all(alone)
    # BM25 and every segment's dense search ran on the fan-out threads, none on the asking one.
    assert seen["lexical"] and all(name.startswith("footnote-fan-out") for name in seen["lexical"])
    assert seen["_search_part"] and all(name.startswith("footnote-fan-out") for name in seen["_search_part"])


@pytest.mark.parametrize("updates", [0, 2])
def test_a_large_collections_read_paths_find_what_a_small_ones_do(tmp_path, monkeypatch, updates):
    """A small index is held in memory (row files read whole, chunk rows kept once asked,
    sentence vectors in single precision); a large one is read by pread, from SQLite and in half
    precision. Forced down the large paths, the same index gives the same passages, quotes and
    scores, with one segment (its fast paths) and with several (the merge of their answers)."""
    from index.answer import AskRequest
    from index.assemble import open_answerer
    from index.store.segment import Segment
    corpus, index = corpus_of(tmp_path / "c", TOPICS[:5]), tmp_path / "i"
    build(corpus, index)
    for names in (TOPICS[5:8], TOPICS[8:])[:updates]:
        corpus_of(tmp_path / "c", names)
        build(corpus, index)
    assert len(segment_ids(index)) == 1 + updates
    requests = [AskRequest("Which project would cost more than planned?"), AskRequest("the ferry project"),
                AskRequest("museum project", filters=Filters(article_ids=("museum", "canal", "ferry")))]

    def answers() -> list:
        answerer = open_answerer(index, HashingEmbedder(64))
        return [answerer.answer(r).as_dict()["quotes"] + [(p.chunk.article_id, p.chunk.start, p.score)
                                                          for p in answerer.answer(r).passages] for r in requests]

    small = answers()
    assert all(held_in_memory(segment) for segment in Generation.open(index).segments)
    monkeypatch.setattr(Segment, "SMALL_BYTES", 0)
    assert not any(held_in_memory(segment) for segment in Generation.open(index).segments)
    large = answers()
    assert large == small and all(small)


def held_in_memory(segment) -> bool:
    """Whether a segment was opened as a small one: its row files read whole and its sentence
    vectors in single precision."""
    rows = [segment.lexicon.post_doc, segment.lexicon.sent_terms, segment.lexicon.minhash]
    whole = [r.in_memory for r in rows]
    assert len(set(whole)) == 1, "a segment's row files are all read one way"
    return whole[0] and isinstance(segment.sentences._matrix, np.ndarray)  # else a RowFile of half floats


def test_a_generation_holds_its_small_segments_in_memory_up_to_a_budget(tmp_path, monkeypatch):
    """A million-passage collection is made of segments whose files are each small: what a
    generation holds in memory is capped as a whole, so that its serving memory stays the pages
    its questions touch (bench/million.py)."""
    from index.store.segment import Segment
    corpus, index = corpus_of(tmp_path / "c", TOPICS[:5]), tmp_path / "i"
    build(corpus, index)
    corpus_of(tmp_path / "c", TOPICS[5:8])
    build(corpus, index)
    segments = Generation.open(index).segments
    assert len(segments) == 2 and all(held_in_memory(s) for s in segments)
    monkeypatch.setattr(Segment, "SMALL_TOTAL_BYTES", Segment.size_of(segments[0].spec))
    assert [held_in_memory(s) for s in Generation.open(index).segments] == [True, False]
