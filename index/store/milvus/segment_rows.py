"""One local segment (index/store/segment.py) as the rows of its Milvus partition, and the
fingerprint that tells whether the store already holds it.

A segment's rows are written once, tombstoned rows included, and never changed: a generation
that tombstones an article says so in its own meta collection. Ids are keys, `number << 32 |
the row's id inside the segment` (index/store/milvus/view.py).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from corpus.terms import index_terms
from index.store.milvus.schema import MAX_TEXT, STAND_IN, TERM_LENGTH, TEXT_PART
from index.store.milvus.view import key
from index.store.segment import Segment

BATCH = 1000  # rows read from the segment at a time


def fingerprint(segment: Segment, manifest: dict) -> str:
    """What a segment's rows follow from: the model, the chunking, and its articles in order.
    Two segments with the same fingerprint have the same rows (the vectors of one text are the
    model's, whichever builder embedded it), so a store that holds one holds the other;
    the local segment's name could not say that (a new build reuses a name it left unused)."""
    digest = hashlib.sha256(json.dumps([manifest["model"], manifest["chunking"], segment.spec["counts"]],
                                       sort_keys=True).encode())
    for row in segment.db.execute("SELECT id, content_hash, path FROM articles ORDER BY row"):
        digest.update("\x00".join(row).encode() + b"\x01")
    return digest.hexdigest()[:32]


def segment_rows(segment: Segment, number: int) -> dict:
    """The rows of each kind of collection, as iterators, for the segment stored as `number`."""
    return {"articles": _articles(segment, number), "texts": _texts(segment, number),
            "chunks": _chunks(segment, number), "sentences": _sentences(segment, number),
            "terms": _terms(segment, number)}


def _day(published: str | None) -> str:
    return (published or "")[:10]


def _articles(segment: Segment, number: int):
    rows = segment.db.execute("SELECT id, title, title_source, published, url, source, author, tags, path, "
                              "content_hash FROM articles ORDER BY row")
    for aid, title, title_source, published, url, source, author, tags, path, content_hash in rows:
        info = {"title": title, "title_source": title_source, "published": published, "url": url, "source": source,
                "author": author, "tags": json.loads(tags), "path": path, "content_hash": content_hash}
        yield {"key": f"{number}:{aid}", "id": aid, "segment": number, "day": _day(published),
               "source": source or "", "info": info, "stand_in": STAND_IN}


def _texts(segment: Segment, number: int):
    for aid, text in segment.db.execute("SELECT id, text FROM articles ORDER BY row"):
        for n, at in enumerate(range(0, max(len(text), 1), TEXT_PART)):
            yield {"key": f"{number}:{aid}#{n}", "article_id": aid, "segment": number, "part": n,
                   "text": text[at:at + TEXT_PART], "stand_in": STAND_IN}


def _chunks(segment: Segment, number: int):
    lexicon = segment.lexicon
    for first in range(0, segment.chunk_count, BATCH):
        rows = segment.db.execute(
            'SELECT c.id, c.article_id, c.ordinal, c.start, c."end", c.text, a.title, a.published, a.url, a.source '
            "FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.id >= ? AND c.id < ? ORDER BY c.id",
            (first, first + BATCH)).fetchall()
        vectors = segment.chunks.vectors([r[0] for r in rows])
        minhashes = lexicon.minhash[[r[0] for r in rows]].view(np.int64)  # the batch's rows in one read
        for (i, aid, ordinal, start, end, text, title, published, url, source), vector, minhash in zip(
                rows, vectors, minhashes):
            sent_first, sent_end = (int(x) for x in lexicon.chunk_sent[i])
            yield {"id": key(number, i), "segment": number, "article_id": aid, "ordinal": ordinal, "start": start,
                   "end": end, "text": _fits(text, aid), "terms": _fits(_spaced(index_terms(text)), aid),
                   "vector": np.asarray(vector, dtype=np.float32).tolist(), "day": _day(published),
                   "source": source or "", "info": {"title": title, "published": published, "url": url,
                                                    "source": source},
                   "sent_first": sent_first, "sent_end": sent_end,
                   "minhash": minhash.tolist()}


def _sentences(segment: Segment, number: int):
    lexicon = segment.lexicon
    for first in range(0, segment.sentence_count, BATCH):
        rows = segment.db.execute('SELECT id, article_id, start, "end" FROM sentences WHERE id >= ? AND id < ? '
                                  "ORDER BY id", (first, first + BATCH)).fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        vectors = segment.sentences.vectors(ids)
        terms, owner = lexicon.sentence_terms(ids)
        words: list[list[str]] = [[] for _ in rows]
        for term, n in zip(terms, owner):
            words[n].append(lexicon.terms[term])
        for (i, aid, start, end), vector, own in zip(rows, vectors, words):
            yield {"id": key(number, i), "segment": number, "article_id": aid, "start": start, "end": end,
                   "vector": np.asarray(vector, dtype=np.float32).tolist(), "terms": _fits(_spaced(own), aid)}


def _terms(segment: Segment, number: int):
    lexicon = segment.lexicon
    for term, df in zip(lexicon.terms, np.asarray(lexicon.df)):
        if len(term) > TERM_LENGTH:
            continue  # a "word" this long is no question's prefix
        yield {"key": f"{number}:{term}", "term": term, "segment": number, "df": int(df), "stand_in": STAND_IN}


def _spaced(words: list[str]) -> str:
    """Words between spaces, " a b ", so that `like "% a %"` finds a whole word."""
    return " " + " ".join(words) + " "


def _fits(text: str, article_id: str) -> str:
    if len(text.encode("utf-8")) > MAX_TEXT:
        raise ValueError(f"article {article_id}: a passage of {len(text)} characters is longer than a Milvus "
                         f"VARCHAR holds ({MAX_TEXT} bytes); index it with a smaller --max-tokens")
    return text
