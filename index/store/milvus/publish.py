"""Writing a generation into Milvus and publishing it by moving the alias.

The rows come from a local generation, already built and checked (index/build.py): its live
chunks, sentences and articles keep their global ids, so both stores answer with the same ids.
A generation's collections are all written and flushed before the alias moves; a build that
fails before that leaves the alias where it was, and its half-written collections are dropped
by the next build. After the switch, every generation but the new one and the one served
before it is dropped (readers still on the previous one can finish).
"""

from __future__ import annotations

import numpy as np

from corpus.terms import index_terms
from index.store.generation import Generation
from index.store.spread import bm25_idf
from index.store.milvus.address import ALIAS, KINDS, collection_name, generation_of
from index.store.milvus.schema import MAX_TEXT, STAND_IN, TERM_LENGTH, TEXT_PART, create_all

BATCH_ROWS = 1000
BATCH_BYTES = 16 << 20  # well under the default gRPC message limit (64 MB)


def served(client, published: bool = False) -> str | None:
    """The generation the alias names (None before the first publish). `published`: the caller
    has seen the alias before, so one call does (the look-up every request makes)."""
    if not published and ALIAS not in client.list_aliases().get("aliases", []):
        return None
    return generation_of(client.describe_alias(ALIAS)["collection_name"])


def read_meta(client, generation: str) -> dict:
    rows = client.query(collection_name(generation, "meta"), filter='key == "generation"', output_fields=["value"])
    return rows[0]["value"]


def next_generation(client) -> str:
    numbers = [int(g) for g in (generation_of(c) for c in client.list_collections()) if g]
    return f"{max(numbers, default=0) + 1:06d}"


def write_generation(client, local: Generation, name: str) -> dict:
    """Copy the live rows of `local` into new collections of generation `name`; their meta."""
    names = {kind: collection_name(name, kind) for kind in KINDS}
    create_all(client, names, local.vectors.dimension, local.chunk_count())
    _insert(client, names["articles"], _article_rows(local))
    _insert(client, names["texts"], _text_rows(local))
    _insert(client, names["chunks"], _chunk_rows(local))
    _insert(client, names["sentences"], _sentence_rows(local))
    _insert(client, names["terms"], _term_rows(local))
    meta = {"generation": name, "manifest": _slim(local.manifest), "source_generation": local.name,
            "total_chunks": local.total_chunks(), "segment_chunks": [seg.chunk_count for seg in local.segments],
            "avgdl": bm25_idf(local, [])[1],  # the lexicon's average chunk length, for BM25
            "counts": {"chunks": local.chunk_count(), "articles": local.article_count()},
            "previous": served(client)}
    _insert(client, names["meta"], [{"key": "generation", "value": meta, "stand_in": STAND_IN}])
    for collection in names.values():
        client.flush(collection)
    return meta


def switch(client, name: str) -> None:
    """Point the alias at generation `name`: one metadata change, seen whole by every reader."""
    target = collection_name(name, "chunks")
    if served(client) is None:
        client.create_alias(target, ALIAS)
    else:
        client.alter_alias(target, ALIAS)


def drop_unused(client) -> list[str]:
    """Drop every Footnote collection but the served generation's and the previous one's
    (call it only while holding the build lease: another build's half-written one looks the same)."""
    current = served(client)
    keep = {current, read_meta(client, current).get("previous")} if current else set()
    dropped = []
    for collection in client.list_collections():
        generation = generation_of(collection)
        if generation and generation not in keep:
            client.drop_collection(collection)
            dropped.append(collection)
    return dropped


def _slim(manifest: dict) -> dict:
    """The manifest without its segments' tombstone lists (they can be long, and the rows of
    tombstoned articles are never copied)."""
    segments = [{k: v for k, v in s.items() if k != "deleted"} for s in manifest.get("segments", [])]
    return {**manifest, "segments": segments}


def _insert(client, collection: str, rows) -> None:
    batch, size = [], 0
    for row in rows:
        batch.append(row)
        size += sum(len(v.encode()) if isinstance(v, str) else 4 * len(v) if isinstance(v, list) else 8
                    for v in row.values())
        if len(batch) >= BATCH_ROWS or size >= BATCH_BYTES:
            client.insert(collection, batch)
            batch, size = [], 0
    if batch:
        client.insert(collection, batch)


def _day(published: str | None) -> str:
    return (published or "")[:10]


def _article_rows(local: Generation):
    hashes = local.article_hashes()
    for article in local.articles():
        info = {"title": article.title, "title_source": article.title_source, "published": article.published,
                "url": article.url, "source": article.source, "author": article.author,
                "tags": list(article.tags), "path": article.path, "content_hash": hashes[article.id][0]}
        yield {"id": article.id, "day": _day(article.published), "source": article.source or "",
               "info": info, "stand_in": STAND_IN}


def _text_rows(local: Generation):
    for aid in sorted(local.article_hashes()):
        text = local.article_text(aid)
        for n, at in enumerate(range(0, max(len(text), 1), TEXT_PART)):
            yield {"key": f"{aid}#{n}", "article_id": aid, "part": n, "text": text[at:at + TEXT_PART],
                   "stand_in": STAND_IN}


def _chunk_rows(local: Generation):
    for part, sentence_part in zip(local.vectors.parts, local.sentence_vectors.parts):
        lexicon = part.segment.lexicon
        local_ids = np.arange(part.count) if part.live is None else np.flatnonzero(part.live)
        for start in range(0, len(local_ids), BATCH_ROWS):
            ids = local_ids[start:start + BATCH_ROWS]
            rows = local.chunk_rows([part.base + int(i) for i in ids])
            vectors = part.store.vectors(ids)
            for i, vector in zip(ids, vectors):
                chunk, title, published, url, source = rows[part.base + int(i)]
                first, end = (int(x) + sentence_part.base for x in lexicon.chunk_sent[i])
                yield {"id": part.base + int(i), "article_id": chunk.article_id, "ordinal": chunk.ordinal,
                       "start": chunk.start, "end": chunk.end, "text": _fits(chunk.text, chunk.article_id),
                       "terms": _fits(" " + " ".join(index_terms(chunk.text)) + " ", chunk.article_id),
                       "vector": np.asarray(vector, dtype=np.float32).tolist(), "day": _day(published),
                       "source": source or "",
                       "info": {"title": title, "published": published, "url": url, "source": source},
                       "sent_first": first, "sent_end": end,
                       "minhash": lexicon.minhash[i].view(np.int64).tolist()}


def _sentence_rows(local: Generation):
    for part in local.sentence_vectors.parts:
        db, lexicon = part.segment.db, part.segment.lexicon
        live = part.live
        rows = db.execute('SELECT id, article_id, start, "end" FROM sentences ORDER BY id').fetchall()
        for start in range(0, len(rows), BATCH_ROWS):
            batch = [r for r in rows[start:start + BATCH_ROWS] if live is None or live[r[0]]]
            if not batch:
                continue
            ids = np.array([r[0] for r in batch], dtype=np.int64)
            vectors = part.store.vectors(ids)
            terms, owner = lexicon.sentence_terms(ids)
            words: list[list[str]] = [[] for _ in batch]
            for term, n in zip(terms, owner):
                words[n].append(lexicon.terms[term])
            for (sid, aid, s, e), vector, own in zip(batch, vectors, words):
                yield {"id": part.base + sid, "article_id": aid, "start": s, "end": e,
                       "vector": np.asarray(vector, dtype=np.float32).tolist(),
                       "terms": _fits(" " + " ".join(own) + " ", aid)}


def _term_rows(local: Generation):
    for n, segment in enumerate(local.segments):
        lexicon = segment.lexicon
        for term, df in zip(lexicon.terms, np.asarray(lexicon.df)):
            if len(term) > TERM_LENGTH:
                continue  # a "word" this long is no question's prefix
            yield {"key": f"{n}:{term}", "term": term, "segment": n, "df": int(df), "stand_in": STAND_IN}


def _fits(text: str, article_id: str) -> str:
    if len(text.encode("utf-8")) > MAX_TEXT:
        raise ValueError(f"article {article_id}: a passage of {len(text)} characters is longer than a Milvus "
                         f"VARCHAR holds ({MAX_TEXT} bytes); index it with a smaller --max-tokens")
    return text
