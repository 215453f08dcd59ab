"""A segment's words, counted once at index time: BM25 postings for its chunks, the terms of
each sentence (for the quote scoring), the word-trigram hashes of each chunk (for collapsing
syndicated copies), and where each chunk's sentences lie. Questions are scored against them
with NumPy: no per-question Python loops over postings, sentences or shingles.

Files, in the segment's `lexicon/` folder (memory-mapped when read):
    vocab.txt                     one stem per line, in alphabetical order; line n is term id n
    df.npy, term_ptr.npy, post_doc.npy, post_tf.npy     postings (CSR over terms)
    doc_len.npy                   terms per chunk
    sent_ptr.npy, sent_terms.npy  each sentence's distinct term ids (CSR over sentences)
    minhash.npy                   each chunk's MinHash signature of its word trigrams
    chunk_sent.npy                (first, end) sentence ids inside each chunk
    sent_span.npy                 (start, end, article row) of each sentence
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus import Chunk
from corpus.terms import index_term, shingle_digests, words
from index.store.rows import RowFile

K1, B = 1.2, 0.75  # BM25's usual constants (SQLite FTS5 uses the same)
_ARRAYS = ("df", "term_ptr", "post_doc", "post_tf", "doc_len", "sent_ptr", "sent_terms", "minhash",
           "chunk_sent", "sent_span")
# A question reads a small part of these: its terms' postings, its sentences' terms, a few
# MinHash rows (index/store/rows.py: read with pread, they stay out of the process's RSS).
_READ_BY_ROW = {"post_doc", "post_tf", "sent_terms", "minhash"}
# Near-duplicate chunks are told by MinHash: for each of MINHASHES hash functions, the least
# hash of a chunk's word trigrams; the share of equal slots estimates Jaccard similarity
# (standard error about 0.09 at 0.5, and syndicated copies sit far above the 0.5 threshold).
MINHASHES = 32
# Multiply-add hash functions modulo 2**64 (odd multipliers): NumPy's uint64 arithmetic wraps.
_SEEDS = np.random.default_rng(20261201).integers(0, 2**63, size=(2, MINHASHES), dtype=np.uint64) | np.uint64(1)
MINHASH_BLOCK = 65536  # grams whose hashes are spread over the MINHASHES functions at once (16 MB)


@dataclass
class Lexicon:
    vocab: dict[str, int]
    df: np.ndarray
    term_ptr: np.ndarray
    post_doc: np.ndarray
    post_tf: np.ndarray
    doc_len: np.ndarray
    sent_ptr: np.ndarray
    sent_terms: np.ndarray
    minhash: np.ndarray
    chunk_sent: np.ndarray
    sent_span: np.ndarray

    def __post_init__(self):
        self.terms = list(self.vocab)  # in id order, which is alphabetical
        self.df_sums = np.concatenate([[0], np.cumsum(self.df, dtype=np.int64)])
        self._norms: tuple[float, np.ndarray] | None = None  # BM25's length norm of each chunk, for one avgdl

    @classmethod
    def build(cls, chunks: list[Chunk], sentences: list[Chunk], article_rows: dict[str, int]) -> Lexicon:
        """The lexicon of chunks and sentences numbered 0.. in the order given; sentences are in
        article then offset order, as chunks are. Term ids are given in alphabetical order, so
        that the words sharing a prefix have consecutive ids."""
        chunk_found = [words(c.text) for c in chunks]
        sentence_found = [words(s.text) for s in sentences]
        vocab, term_of = _vocabulary(chunk_found + sentence_found)
        chunk_terms, chunk_lengths = _term_ids(chunk_found, term_of)
        sentence_terms, sentence_lengths = _term_ids(sentence_found, term_of)
        return cls(vocab, *_postings(chunk_terms, chunk_lengths, len(vocab)), chunk_lengths.astype(np.float32),
                   *_distinct_per_row(sentence_terms, sentence_lengths, len(vocab)), _minhashes(chunk_found),
                   _chunk_sentences(chunks, sentences),
                   np.array([(s.start, s.end, article_rows[s.article_id]) for s in sentences],
                            dtype=np.int64).reshape(-1, 3))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "vocab.txt").write_text("".join(t + "\n" for t in self.terms), encoding="utf-8")
        for name in _ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name))

    @classmethod
    def load(cls, folder: Path, whole: bool = True) -> Lexicon:
        terms = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
        # Memory-mapped, seen as plain arrays (the memmap subclass costs on every small read),
        # except those read by row (RowFile: whole, with `whole`, when they are small).
        arrays = {name: RowFile(folder / f"{name}.npy", whole) if name in _READ_BY_ROW else
                  np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r")) for name in _ARRAYS}
        return cls({t: i for i, t in enumerate(terms)}, **arrays)

    def term_ids(self, stems: list[str]) -> np.ndarray:
        """Local ids of the stems this segment knows (-1 for the others), in the order given."""
        return np.array([self.vocab.get(s, -1) for s in stems], dtype=np.int64)

    def prefix_frequencies(self, stems: list[str]) -> np.ndarray:
        """For each stem, how many chunks hold a word starting with it, counted as the sum of
        those words' frequencies (at most the chunk count): "strik" meets strike, strikes and
        striking, as the question's word would in a reader's mind."""
        terms, total = self.terms, len(self.doc_len)
        out = []
        for stem_ in stems:
            lo, hi = bisect.bisect_left(terms, stem_), bisect.bisect_left(terms, stem_ + "\U0010ffff")
            out.append(min(int(self.df_sums[hi] - self.df_sums[lo]), total))
        return np.array(out, dtype=np.int64)

    def frequencies(self, stems: list[str]) -> np.ndarray:
        """How many chunks hold each stem."""
        ids = self.term_ids(stems)
        if not len(self.df):  # a segment left with no live article is rewritten empty (merge.py)
            return np.zeros(len(stems), dtype=np.int64)
        return np.where(ids >= 0, np.asarray(self.df)[np.maximum(ids, 0)], 0).astype(np.int64)

    def bm25(self, stems: list[str], idf: np.ndarray, avgdl: float, live: np.ndarray | None) -> np.ndarray:
        """BM25 score of every chunk for the stems (weighted by the collection-wide `idf`);
        chunks outside `live` (a boolean mask) score 0."""
        ids = self.term_ids(stems)
        scores = np.zeros(len(self.doc_len), dtype=np.float32)
        norms = self._length_norms(avgdl)
        for term, weight in zip(ids, idf):
            if term < 0:
                continue
            lo, hi = self.term_ptr[term], self.term_ptr[term + 1]
            docs, tf = self.post_doc[lo:hi], self.post_tf[lo:hi]
            scores[docs] += weight * tf * (K1 + 1) / (tf + norms[docs])
        if live is not None:
            scores[~live] = 0
        return scores

    def _length_norms(self, avgdl: float) -> np.ndarray:
        """BM25's `k1 * (1 - b + b * length / avgdl)` of every chunk, worked out once for the
        collection's average length (it changes only with the generation)."""
        known = self._norms
        if known is None or known[0] != avgdl:
            known = self._norms = (avgdl, K1 * (1 - B + B * np.asarray(self.doc_len) / avgdl))
        return known[1]

    def sentence_terms(self, sentence_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The term ids of these sentences, flat, and for each term the position of its sentence
        in `sentence_ids`."""
        sentence_ids = np.asarray(sentence_ids, dtype=np.int64)
        starts, ends = self.sent_ptr[sentence_ids], self.sent_ptr[sentence_ids + 1]
        lengths = ends - starts
        owner = np.repeat(np.arange(len(sentence_ids)), lengths)
        offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return self.sent_terms[np.repeat(starts, lengths) + offsets], owner


def minhash_of(hashes: list[int]) -> np.ndarray:
    """The MinHash signature of a set of 63-bit hashes (all ones for an empty set)."""
    if not hashes:
        return np.full(MINHASHES, np.iinfo(np.uint64).max, dtype=np.uint64)
    values = np.array(hashes, dtype=np.uint64)[:, None]
    with np.errstate(over="ignore"):
        return (values * _SEEDS[0] + _SEEDS[1]).min(axis=0)


def _vocabulary(rows: list[list[str]]) -> tuple[dict[str, int], dict[str, int]]:
    """(stem -> term id, in alphabetical order; word -> its stem's id, -1 for a stop word) of
    texts given as their words: each distinct word looked at once."""
    stems = {word: index_term(word) for word in set().union(*rows)}
    vocab = {t: i for i, t in enumerate(sorted(set(stems.values()) - {None}))}
    return vocab, {word: -1 if s is None else vocab[s] for word, s in stems.items()}


def _term_ids(rows: list[list[str]], term_of: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """The term ids of texts given as their words (stop words left out) end to end, and how
    many each text has: `index_terms` of each, as ids."""
    counts = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    ids = np.fromiter(map(term_of.__getitem__, itertools.chain.from_iterable(rows)), dtype=np.int64,
                      count=int(counts.sum()))
    kept = ids >= 0
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    return ids[kept], np.bincount(owner[kept], minlength=len(rows)).astype(np.int64)


def _postings(terms: np.ndarray, lengths: np.ndarray, n_terms: int):
    """(df, term_ptr, post_doc, post_tf) for chunks given as their term ids end to end (`lengths`
    of them each)."""
    n_docs = max(len(lengths), 1)
    docs = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    keys, counts = _sorted_distinct(terms * n_docs + docs, counts=True)  # by term, then chunk
    df = np.bincount(keys // n_docs, minlength=n_terms).astype(np.int32)
    term_ptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
    return df, term_ptr, (keys % n_docs).astype(np.int32), counts.astype(np.float32)


def _distinct_per_row(terms: np.ndarray, lengths: np.ndarray, n_terms: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's distinct term ids in order, as CSR: (row pointers, int32 ids)."""
    width = max(n_terms, 1)
    keys = _sorted_distinct(np.repeat(np.arange(len(lengths), dtype=np.int64), lengths) * width + terms)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(keys // width, minlength=len(lengths)), dtype=np.int64)])
    return ptr.astype(np.int64), (keys % width).astype(np.int32)


def _sorted_distinct(keys: np.ndarray, counts: bool = False):
    """np.unique(keys[, return_counts]) by one sort (NumPy 2's unique hashes first: slower here)."""
    keys = np.sort(keys)
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]])) if len(keys) else np.zeros(0, np.int64)
    if not counts:
        return keys[starts]
    return keys[starts], np.diff(np.append(starts, len(keys)))


def _minhashes(chunk_words: list[list[str]]) -> np.ndarray:
    """`minhash_of(shingle_hashes(text))` of each chunk, given its words: the grams digested
    chunk by chunk, the signatures taken in blocks of about MINHASH_BLOCK grams (a gram
    repeated within a chunk is counted twice, which leaves its minimum as it is)."""
    digests = [shingle_digests(found) for found in chunk_words]
    hashes = np.frombuffer(b"".join(digests), dtype="<u8") >> np.uint64(1)
    counts = np.fromiter((len(d) // 8 for d in digests), dtype=np.int64, count=len(digests))
    ends = np.cumsum(counts)
    starts = ends - counts
    signatures = np.full((len(counts), MINHASHES), np.iinfo(np.uint64).max, dtype=np.uint64)
    first = 0
    while first < len(counts):
        last = max(first + 1, int(np.searchsorted(ends, starts[first] + MINHASH_BLOCK, side="right")))
        held = first + np.flatnonzero(counts[first:last])  # chunks with at least one gram
        if len(held):
            with np.errstate(over="ignore"):
                values = hashes[starts[first]:ends[last - 1], None] * _SEEDS[0] + _SEEDS[1]
            signatures[held] = np.minimum.reduceat(values, starts[held] - starts[first], axis=0)
        first = last
    return signatures


def _chunk_sentences(chunks: list[Chunk], sentences: list[Chunk]) -> np.ndarray:
    """For each chunk, the range [first, end) of sentence ids inside it (sentences of one
    article are numbered consecutively in offset order). A chunk of page furniture alone holds
    none: its range is empty, at the place in its article's sentences where it stands."""
    first_of: dict[str, int] = {}
    by_article: dict[str, list[tuple[int, int]]] = {}
    for n, s in enumerate(sentences):
        first_of.setdefault(s.article_id, n)
        by_article.setdefault(s.article_id, []).append((s.start, s.end))
    ranges = np.zeros((len(chunks), 2), dtype=np.int64)
    for i, c in enumerate(chunks):
        spans = by_article.get(c.article_id, [])
        base = first_of.get(c.article_id, 0)
        inside = [j for j, (s, e) in enumerate(spans) if s >= c.start and e <= c.end]
        if inside:
            ranges[i] = (base + inside[0], base + inside[-1] + 1)
        else:
            at = base + bisect.bisect_left([s for s, _ in spans], c.start)
            ranges[i] = (at, at)
    return ranges
