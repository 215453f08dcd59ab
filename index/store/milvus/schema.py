"""The collections of a Milvus store, and the expressions that filter them.

A family's five shared collections hold the segments, one partition each; every row carries
its `segment` (the store-wide number of its segment), and ids are keys `segment << 32 | the
row's id inside its segment` (index/store/milvus/view.py):

    chunks     id, segment, article_id, ordinal, start, end, text, terms (the chunk's stems between
               spaces, " a b ": Milvus's BM25 function reads them, so its tokens are the lexicon's,
               and `like "% a %"` finds a word), sparse (BM25's output), vector, day and source (the
               article's, for filters), info (title, published, url, source as stored), the
               chunk's sentences [sent_first, sent_end) as ids inside the segment, its MinHash
    sentences  id, segment, article_id, start, end, vector, terms (distinct stems, " a b ")
    articles   key ("segment:article id"), id (the article's), segment, day, source, info (every
               Article field but the text, its content hash)
    texts      article text in parts (a VARCHAR holds at most 65,535 bytes)
    terms      (segment, stem) -> how many of the segment's chunks hold it: question-term IDF

A generation's own `meta` collection holds its manifest and segment list in one row and its
tombstones in a few more. Milvus wants a vector field in every collection; the last three
kinds and meta carry a two-number stand-in.
"""

from __future__ import annotations

import json

from index.store.filters import Filters

MAX_TEXT = 65_535  # bytes in a VARCHAR
MAX_JSON = 65_536  # bytes in a JSON field
TEXT_PART = 16_000  # characters per stored part of an article: at most 64,000 bytes of UTF-8
MINHASH_SLOTS = 32
ID_LENGTH = 1024
TERM_LENGTH = 300
STAND_IN = [1.0, 0.0]
EXACT_BELOW = 50_000  # chunks; above it an HNSW index (index/store/choose.py measures the same line)
HNSW = {"M": 32, "efConstruction": 200}
BM25 = {"bm25_k1": 1.2, "bm25_b": 0.75}  # the lexicon's constants (index/store/lexicon.py)


def create_family(client, names: dict[str, str], dimension: int, dense: str) -> None:
    """Create a family's collections (loaded, strongly consistent) under `names[kind]`; `dense`
    is the chunk vectors' index, "FLAT" or "HNSW"."""
    from pymilvus import DataType, Function, FunctionType

    s = _schema(client)
    s.add_field("id", DataType.INT64, is_primary=True)
    s.add_field("segment", DataType.INT64)
    s.add_field("article_id", DataType.VARCHAR, max_length=ID_LENGTH)
    for name in ("ordinal", "start", "end", "sent_first", "sent_end"):
        s.add_field(name, DataType.INT64)
    s.add_field("text", DataType.VARCHAR, max_length=MAX_TEXT)
    s.add_field("terms", DataType.VARCHAR, max_length=MAX_TEXT, enable_analyzer=True,
                analyzer_params={"tokenizer": "standard"})
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    s.add_field("day", DataType.VARCHAR, max_length=10)
    s.add_field("source", DataType.VARCHAR, max_length=ID_LENGTH)
    s.add_field("info", DataType.JSON)
    s.add_field("minhash", DataType.ARRAY, element_type=DataType.INT64, max_capacity=MINHASH_SLOTS)
    s.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                            input_field_names=["terms"], output_field_names=["sparse"]))
    params = {"FLAT": {}, "HNSW": HNSW}[dense]
    _create(client, names["chunks"], s, [("vector", dense, "IP", params),
                                         ("sparse", "SPARSE_INVERTED_INDEX", "BM25", BM25)])

    s = _schema(client)
    s.add_field("id", DataType.INT64, is_primary=True)
    s.add_field("segment", DataType.INT64)
    s.add_field("article_id", DataType.VARCHAR, max_length=ID_LENGTH)
    s.add_field("start", DataType.INT64)
    s.add_field("end", DataType.INT64)
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    s.add_field("terms", DataType.VARCHAR, max_length=MAX_TEXT)
    _create(client, names["sentences"], s, [("vector", "FLAT", "IP", {})])  # read by id, never searched

    def text(length):
        return DataType.VARCHAR, {"max_length": length}

    number, document = (DataType.INT64, {}), (DataType.JSON, {})
    keyed = {  # the first field is the primary key
        "articles": [("key", *text(ID_LENGTH + 24)), ("id", *text(ID_LENGTH)), ("segment", *number),
                     ("day", *text(10)), ("source", *text(ID_LENGTH)), ("info", *document)],
        "texts": [("key", *text(ID_LENGTH + 40)), ("article_id", *text(ID_LENGTH)), ("segment", *number),
                  ("part", *number), ("text", *text(MAX_TEXT))],
        "terms": [("key", *text(TERM_LENGTH + 24)), ("term", *text(TERM_LENGTH)), ("segment", *number),
                  ("df", *number)],
    }
    for kind, fields in keyed.items():
        _create_keyed(client, names[kind], fields)


def create_meta(client, name: str) -> None:
    """Create a generation's meta collection: (key, value) rows."""
    from pymilvus import DataType

    _create_keyed(client, name, [("key", DataType.VARCHAR, {"max_length": 64}), ("value", DataType.JSON, {})])


def _schema(client):
    return client.create_schema(auto_id=False, enable_dynamic_field=False)


def _create(client, name: str, schema, vector_index) -> None:
    params = client.prepare_index_params()
    for field, index_type, metric, extra in vector_index:
        params.add_index(field, index_type=index_type, metric_type=metric, params=extra)
    client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")


def _create_keyed(client, name: str, fields) -> None:
    from pymilvus import DataType

    s = _schema(client)
    for n, (field, dtype, extra) in enumerate(fields):
        s.add_field(field, dtype, is_primary=n == 0, **extra)
    s.add_field("stand_in", DataType.FLOAT_VECTOR, dim=2)
    _create(client, name, s, [("stand_in", "FLAT", "IP", {})])


def literal(value: str) -> str:
    """A string literal for a Milvus expression."""
    return json.dumps(value, ensure_ascii=False)


def listed(values) -> str:
    return "[" + ", ".join(literal(v) if isinstance(v, str) else str(int(v)) for v in values) + "]"


def expression(filters: Filters) -> str:
    """The Milvus filter over a chunk's `day`, `source` and `article_id` that Filters means ("" when
    none): the same rules as the SQL in index/store/filters.py."""
    return _expression(filters, "article_id")


def article_expression(filters: Filters) -> str:
    """The same over the articles collection (its key is `id`)."""
    return _expression(filters, "id")


def _expression(filters: Filters, id_field: str) -> str:
    clauses = []
    for op, day in ((">=", filters.published_after), ("<=", filters.published_before)):
        if day:
            dated = f'(day != "" and day {op} {literal(day.isoformat())})'
            clauses.append(f'(day == "" or {dated})' if filters.undated else dated)
    if filters.sources:
        clauses.append(f"source in {listed(filters.sources)}")
    if filters.article_ids:
        clauses.append(f"{id_field} in {listed(filters.article_ids)}")
    return " and ".join(clauses)


def both(*clauses: str) -> str:
    """The clauses that are not empty, joined by `and`."""
    present = [c for c in clauses if c]
    return present[0] if len(present) == 1 else " and ".join(f"({c})" for c in present)


def alive(deleted: dict[int, list[str]], id_field: str) -> str:
    """Leaves out the rows of tombstoned articles: `deleted` maps a segment's number to the
    article ids tombstoned in it ("" when none are). Per segment, because a replaced article
    is tombstoned in its old segment and live in the new one."""
    dead = [f"(segment == {n} and {id_field} in {listed(ids)})" for n, ids in sorted(deleted.items()) if ids]
    return f"not ({' or '.join(dead)})" if dead else ""


def prefix_range(stem: str) -> str:
    """Terms starting with `stem`, as a range: [stem, stem with its last character raised)."""
    upper = stem[:-1] + chr(ord(stem[-1]) + 1)
    return f"term >= {literal(stem)} and term < {literal(upper)}"
