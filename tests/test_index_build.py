"""Building the index: incremental counts, the vector cache, manifests, FAISS, atomicity."""

import json
import subprocess
import sys

import numpy as np
import pytest

from corpus.chunk import ChunkParams
from index import store
from index.build import EmptyCorpus, build_index
from index.embed import HashingEmbedder
from index.store import Generation
from index.store import IndexCorrupt, IndexMismatch, IndexMissing
from tests.conftest import ROOT, article_txt, write

TOPICS = ["ferry", "bridge", "tram", "harbour", "market", "library", "museum", "stadium"]


def corpus_of(root, n=6):
    return write(root, {f"{TOPICS[i]}.txt": article_txt(
        f"2026-01-{i + 1:02d}", f"The {TOPICS[i]} project started this week.",
        f"Officials said the {TOPICS[i]} would cost more than planned. Work continues.") for i in range(n)})


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, counting every text it is asked to embed."""

    def __init__(self):
        super().__init__(64)
        self.embedded = 0

    def encode(self, texts):
        self.embedded += len(texts)
        return super().encode(texts)


def build(corpus, index, embedder, **kwargs):
    return build_index(corpus, index, embedder, ChunkParams(16), progress=False, **kwargs)


def test_incremental_counts_for_unchanged_add_change_and_remove(tmp_path):
    corpus, index, emb = corpus_of(tmp_path / "c"), tmp_path / "i", CountingEmbedder()
    first = build(corpus, index, emb)
    assert (first.added, first.changed, first.removed) == (6, 0, 0)
    assert first.chunks_embedded == first.chunks_total > 6
    assert emb.embedded == first.chunks_embedded + first.sentences_embedded

    again = build(corpus, index, emb)
    assert again.up_to_date and again.chunks_embedded == 0 and again.generation == first.generation
    assert emb.embedded == first.chunks_embedded + first.sentences_embedded

    write(corpus, {"pier.txt": article_txt("2026-02-01", "A new pier opened on the east side today."),
                   "ferry.txt": article_txt("2026-01-01", "The ferry project started this week.",
                                            "The ferry fare will be three dollars.")})
    (corpus / "market.txt").unlink()
    before = emb.embedded
    third = build(corpus, index, emb)
    assert (third.added, third.changed, third.removed) == (1, 1, 1)
    new_texts = {"A new pier opened on the east side today.", "The ferry fare will be three dollars."}
    assert emb.embedded - before == third.chunks_embedded + third.sentences_embedded
    assert 1 <= third.chunks_embedded <= 3  # only chunks whose text is new
    generation = Generation.open(index)
    texts = {c.text for c in generation.chunks_of([a.id for a in generation.articles()])}
    assert all(any(t in chunk for chunk in texts) for t in new_texts)
    assert not any("market" in t for t in texts)
    assert generation.name == third.generation and third.generation > first.generation


def test_a_full_rebuild_embeds_nothing_already_cached(tmp_path):
    corpus, index, emb = corpus_of(tmp_path / "c"), tmp_path / "i", CountingEmbedder()
    first = build(corpus, index, emb)
    rebuilt = build(corpus, index, emb, rebuild=True)
    assert not rebuilt.up_to_date and rebuilt.generation != first.generation
    assert rebuilt.chunks_embedded == rebuilt.sentences_embedded == 0
    assert emb.embedded == first.chunks_embedded + first.sentences_embedded


def test_old_generations_are_cleaned_up_keeping_the_previous_one(tmp_path):
    corpus, index, emb = corpus_of(tmp_path / "c"), tmp_path / "i", HashingEmbedder(64)
    for _ in range(4):
        build(corpus, index, emb, rebuild=True)
    names = sorted(p.name for p in store.generations_dir(index).iterdir())
    assert names == ["000003", "000004"] and store.current_name(index) == "000004"


def test_manifest_describes_the_generation(tmp_path):
    summary = build(corpus_of(tmp_path / "c"), tmp_path / "i", HashingEmbedder(64))
    manifest = json.loads((store.generations_dir(tmp_path / "i") / summary.generation / "manifest.json").read_text())
    assert manifest["model"] == {"name": "hash:64", "dimension": 64, "vectors": "hash:64|hash|fp32"}
    assert manifest["chunking"] == {"max_tokens": 16, "overlap_sentences": 1, "sentence_rules": 3,
                                    "sentence_vectors": "pooled"}
    assert manifest["format_version"] == store.FORMAT_VERSION
    assert manifest["counts"]["articles"] == 6 and manifest["counts"]["chunks"] == summary.chunks_total
    assert manifest["counts"]["sentences"] >= 12
    assert manifest["generation"] == summary.generation and manifest["built_at"]


def test_loading_with_another_model_names_both_models_and_the_fix(tmp_path):
    build(corpus_of(tmp_path / "c"), tmp_path / "i", HashingEmbedder(64))
    with pytest.raises(IndexMismatch) as err:
        Generation.open(tmp_path / "i", model="all-MiniLM-L6-v2")
    message = str(err.value)
    assert "'hash:64'" in message and "'all-MiniLM-L6-v2'" in message
    assert "footnote index --model all-MiniLM-L6-v2" in message


def test_changing_the_model_re_embeds_everything(tmp_path):
    corpus, index = corpus_of(tmp_path / "c"), tmp_path / "i"
    first = build(corpus, index, HashingEmbedder(64))
    second = build(corpus, index, HashingEmbedder(32))
    assert second.chunks_embedded == first.chunks_total and not second.up_to_date
    assert Generation.open(index, model="hash:32").vectors.dimension == 32


def stored_sentences(index) -> list[str]:
    """The text of every sentence the current generation stores, in order."""
    with Generation.open(index) as generation:
        found = {}
        for chunk_id in range(generation.chunk_count()):
            article = generation.chunk_rows([chunk_id])[chunk_id][0].article_id
            text = generation.article_text(article)
            found.update({i: text[s:e] for i, s, e in generation.sentences_within(chunk_id)})
        return [found[i] for i in sorted(found)]


def test_an_index_cut_under_older_sentence_rules_is_cut_again(tmp_path, monkeypatch):
    """The manifest records the sentence rules: an index cut under the rules before titles
    joined their names and page furniture was left out is cut again as a whole, never mixed
    with sentences cut the new way."""
    corpus = write(tmp_path / "c", {"vote.txt": article_txt(
        "2026-03-01", "BRAMLEY (CNN) -- The tram bill was carried by Rep. Ines Parr and her allies.",
        "Advertisement", "It passed on Monday.")})
    index = tmp_path / "i"
    with monkeypatch.context() as old_rules:
        old_rules.setattr("index.build.SENTENCE_RULES", 2)
        old_rules.setattr("corpus.sentences._continues_a_name", lambda *_: False)
        old_rules.setattr("corpus.chunk.quotable_spans", lambda text, spans, furniture: spans)
        old = build(corpus, index, HashingEmbedder(64), sentence_vectors="own")
        assert stored_sentences(index) == ["BRAMLEY (CNN)", "-- The tram bill was carried by Rep.",
                                           "Ines Parr and her allies.", "Advertisement", "It passed on Monday."]
    new = build(corpus, index, HashingEmbedder(64))
    assert not new.up_to_date and new.generation != old.generation and new.added == 0
    with Generation.open(index) as generation:
        assert generation.manifest["chunking"]["sentence_rules"] == 3
        assert generation.manifest["chunking"]["sentence_vectors"] == "own"  # kept as it was built
    assert stored_sentences(index) == ["The tram bill was carried by Rep. Ines Parr and her allies.",
                                       "It passed on Monday."]
    assert build(corpus, index, HashingEmbedder(64)).up_to_date


def test_missing_and_damaged_indexes_say_how_to_fix_them(tmp_path):
    with pytest.raises(IndexMissing, match="footnote index"):
        Generation.open(tmp_path / "nothing")
    summary = build(corpus_of(tmp_path / "c"), tmp_path / "i", HashingEmbedder(64))
    [segment] = store.read_manifest(store.generations_dir(tmp_path / "i") / summary.generation)["segments"]
    vectors = store.segments_dir(tmp_path / "i") / segment["id"] / "vectors.faiss"
    vectors.write_bytes(b"not a faiss index")
    with pytest.raises(IndexCorrupt, match="--rebuild"):
        Generation.open(tmp_path / "i")
    # A damaged current generation does not stop the next build.
    rebuilt = build(tmp_path / "c", tmp_path / "i", HashingEmbedder(64))
    assert Generation.open(tmp_path / "i").name == rebuilt.generation


KILL_SCRIPT = """
import os, signal, sys
import index.build, index.build.vectors, index.store, index.store.layout
from corpus.chunk import ChunkParams
from index.embed import VectorCache
from index.embed import HashingEmbedder

point = sys.argv[3]
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
calls = {"n": 0}
def put_then_die(self, hashes, vectors, _put=VectorCache.put_many):
    _put(self, hashes, vectors)
    calls["n"] += 1
    if calls["n"] == 2:
        die()
index.build.vectors.EMBED_BATCH = 2
index.build.vectors.CACHE_WRITE_S = 0  # each batch written as it comes
if point == "mid-embedding":
    VectorCache.put_many = put_then_die
elif point == "writing-vectors":
    index.store.FaissFlatStore.save = die
elif point == "before-rename":
    index.store.layout.os.rename = die
elif point == "before-pointer":  # the replace that publishes CURRENT, not any other
    real_replace = os.replace
    def replace_unless_pointer(src, dst, *args, **kwargs):
        if os.path.basename(str(dst)) == index.store.layout.POINTER:
            die()
        return real_replace(src, dst, *args, **kwargs)
    index.store.layout.os.replace = replace_unless_pointer
index.build.build_index(sys.argv[1], sys.argv[2], HashingEmbedder(64), ChunkParams(16), progress=False)
"""


@pytest.mark.parametrize("point", ["mid-embedding", "writing-vectors", "before-rename", "before-pointer"])
def test_a_build_killed_part_way_leaves_the_previous_generation_and_a_rerun_completes(tmp_path, point):
    corpus, index = corpus_of(tmp_path / "c", n=4), tmp_path / "i"
    first = build(corpus, index, HashingEmbedder(64))
    corpus_of(tmp_path / "c", n=8)  # four more articles
    proc = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(corpus), str(index), point],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr

    survivor = Generation.open(index, model="hash:64")
    assert survivor.name == first.generation
    assert survivor.article_count() == 4 and survivor.vectors.count() == survivor.chunk_count()

    emb = CountingEmbedder()
    emb.name = "hash:64"
    rerun = build(corpus, index, emb)
    assert (rerun.added, rerun.removed) == (4, 0)
    if point != "mid-embedding":
        assert rerun.chunks_embedded == 0  # the killed build had embedded and cached them all
    else:
        assert rerun.chunks_embedded < rerun.chunks_total - first.chunks_total
    final = Generation.open(index)
    assert final.article_count() == 8 and final.vectors.count() == final.chunk_count()
    assert not [p for p in store.generations_dir(index).iterdir() if p.name.startswith(".tmp-")]
    assert not list(index.glob(".CURRENT.tmp-*"))


def test_progress_is_reported_per_stage(tmp_path):
    seen = []
    build_index(corpus_of(tmp_path / "c"), tmp_path / "i", HashingEmbedder(64), ChunkParams(16),
                progress=False, on_progress=lambda stage, done, total: seen.append((stage, done, total)))
    stages = [s for s, _, _ in seen]
    assert stages.index("chunking") < stages.index("embedding")
    assert ("chunking", 6, 6) in seen
    last_embedding = [x for x in seen if x[0] == "embedding"][-1]
    assert last_embedding[1] == last_embedding[2] > 0


def test_a_build_killed_between_rename_and_pointer_never_costs_the_served_generation(tmp_path):
    """The finished but never published generation is the one to clean up; the generation that
    was served (and may still have readers) is kept as the previous one."""
    corpus, index, emb = corpus_of(tmp_path / "c", n=4), tmp_path / "i", HashingEmbedder(64)
    build(corpus, index, emb)
    corpus_of(tmp_path / "c", n=5)
    served = build(corpus, index, emb).generation  # 000002, the one readers are on
    reader = Generation.open(index)
    corpus_of(tmp_path / "c", n=6)
    proc = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(corpus), str(index), "before-pointer"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    assert store.current_name(index) == served
    assert sorted(p.name for p in store.generations_dir(index).iterdir()) == ["000001", "000002", "000003"]

    corpus_of(tmp_path / "c", n=7)
    newest = build(corpus, index, emb)
    gens = sorted(p.name for p in store.generations_dir(index).iterdir())
    assert gens == [served, newest.generation] and store.current_name(index) == newest.generation
    assert reader.article_count() == 5 and reader.path.is_dir()  # the reader finishes on what it had
    assert Generation.open(index).article_count() == 7
    reader.close()


def test_an_empty_corpus_never_replaces_a_full_index_unless_asked(tmp_path):
    corpus, index, emb = corpus_of(tmp_path / "c", n=3), tmp_path / "i", HashingEmbedder(64)
    first = build(corpus, index, emb)
    for path in corpus.iterdir():
        path.unlink()
    with pytest.raises(EmptyCorpus, match="holds no articles, but the index holds 3.*--allow-empty"):
        build(corpus, index, emb)
    assert store.current_name(index) == first.generation
    proc = subprocess.run([sys.executable, "-m", "index.cli", "index", "--quiet", "--model", "hash:64",
                           "--corpus", str(corpus), "--index", str(index)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and "--allow-empty" in proc.stderr and "Traceback" not in proc.stderr
    emptied = build(corpus, index, emb, allow_empty=True)
    assert emptied.articles_total == 0 and store.current_name(index) == emptied.generation


def test_a_newcomer_with_an_indexed_id_is_skipped_and_the_indexed_file_kept(tmp_path):
    corpus, index, emb = write(tmp_path / "c", {"r1.txt": article_txt("2026-01-01", "The first file.")}), \
        tmp_path / "i", HashingEmbedder(64)
    build(corpus, index, emb)
    write(corpus, {"r1.md": "---\ntitle: Newcomer\n---\nThe second file."})  # sorts before r1.txt
    summary = build(corpus, index, emb)
    assert summary.skipped == [{"path": "r1.md", "reason": summary.skipped[0]["reason"]}]
    assert "already taken by r1.txt, which held it in the last build" in summary.skipped[0]["reason"]
    assert Generation.open(index).article("r1").path == "r1.txt"


class OnePassEmbedder(HashingEmbedder):
    """The hashing embedder, counting the texts it reads: `encode` texts and the texts of
    `encode_with_spans` (its spans are pooled from that one pass, not read again)."""

    def __init__(self):
        super().__init__(64)
        self.read = 0
        self._inside = False

    def encode(self, texts):
        self.read += 0 if self._inside else len(texts)
        return super().encode(texts)

    def encode_with_spans(self, texts, spans):
        self.read += len(texts)
        self._inside = True
        try:
            return super().encode_with_spans(texts, spans)
        finally:
            self._inside = False


def _sentence_vectors(generation) -> dict:
    """{(article, start, end): sentence vector} over every chunk's sentences."""
    found = {}
    for chunk_id in range(generation.chunk_count()):
        article = generation.chunk_rows([chunk_id])[chunk_id][0].article_id
        for sentence_id, start, end in generation.sentences_within(chunk_id):
            found[(article, start, end)] = generation.sentence_vectors.vectors([sentence_id])[0]
    return found


def test_pooled_sentence_vectors_read_each_chunk_once_and_land_on_their_sentences(tmp_path):
    """With sentence vectors pooled from the chunk pass, a build reads only the chunks; each
    sentence gets the vector of its own words (for the bag-of-words embedder, exactly the
    vector of the sentence read alone), an update reads only the new chunks, and the index
    keeps its way of building until told otherwise."""
    corpus = corpus_of(tmp_path / "c")
    own = build(corpus, tmp_path / "own", HashingEmbedder(64), sentence_vectors="own")
    emb = OnePassEmbedder()
    pooled = build(corpus, tmp_path / "pooled", emb, sentence_vectors="pooled")
    assert emb.read == pooled.chunks_embedded == own.chunks_embedded and pooled.sentences_embedded > emb.read
    with Generation.open(tmp_path / "own") as a, Generation.open(tmp_path / "pooled") as b:
        assert b.manifest["chunking"]["sentence_vectors"] == "pooled"
        mine, theirs = _sentence_vectors(a), _sentence_vectors(b)
        assert mine.keys() == theirs.keys() and len(mine) >= 18
        assert all(np.allclose(mine[k], theirs[k], atol=1e-6) for k in mine)
    write(corpus, {"airport.txt": article_txt("2026-02-01", "The airport opened a second runway. Flights doubled.")})
    emb.read = 0
    update = build(corpus, tmp_path / "pooled", emb)
    assert update.added == 1 and emb.read == update.chunks_embedded >= 1
    with Generation.open(tmp_path / "pooled") as b:
        assert b.manifest["chunking"]["sentence_vectors"] == "pooled"
        vectors = _sentence_vectors(b)
        airport = [k for k in vectors if k[0] == "airport"]
        assert len(airport) == 2
        alone = HashingEmbedder(64).encode([b.article_text("airport")[s:e] for _, s, e in airport])
        assert np.allclose(np.stack([vectors[k] for k in airport]), alone, atol=1e-3)  # stored as float16
    switched = build(corpus, tmp_path / "pooled", HashingEmbedder(64), sentence_vectors="own")
    assert switched.added == 0 and switched.generation != update.generation
    with Generation.open(tmp_path / "pooled") as b:
        assert b.manifest["chunking"]["sentence_vectors"] == "own"
    kept = build(corpus, tmp_path / "own", HashingEmbedder(64))  # no choice given: an index keeps its own
    assert kept.added == 1 and kept.sentences_embedded == 2
    with Generation.open(tmp_path / "own") as a:
        assert a.manifest["chunking"]["sentence_vectors"] == "own"
