"""What a Ray worker does for a build (index/executor.py sends it): read and parse corpus files,
cut articles into chunks and sentences, embed texts. Batches of rows in, batches of rows out;
articles and spans travel as JSON, vectors as float32 arrays.

The functions here run on whichever node Ray picks, so they read the corpus at the path the
builder gave: the folder must be mounted at that same path on every node (docs/scale-out.md).
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
from pathlib import Path

import numpy as np

from corpus import Article, Chunk
from corpus.article import ArticleError
from corpus.chunk import ChunkParams, split_article
from corpus.load import read_file
from index.embed import SentenceTransformerEmbedder, load_embedder


class CorpusNotShared(RuntimeError):
    """A Ray node cannot see the corpus folder at the builder's path."""


def read_batch(batch: dict, root: str, max_file_bytes: int) -> dict:
    """Read and parse the batch's files under `root`: for each, its articles or why it gave none;
    or, on a node where `root` is not a folder, that node's name."""
    if not os.path.isdir(root):
        found = [json.dumps({"missing_on": socket.gethostname()})] * len(batch["path"])
    else:
        found = [json.dumps(_outcome(read_file(Path(root), Path(str(path)), max_file_bytes)))
                 for path in batch["path"]]
    return {"row": batch["row"], "read": np.array(found, dtype=object)}


def _outcome(result: list[Article] | ArticleError) -> dict:
    if isinstance(result, ArticleError):
        return {"error": str(result), "keep_previous": result.keep_previous}
    return {"articles": [dataclasses.asdict(a) for a in result]}


def read_result(text: str, root: str) -> list[Article] | ArticleError:
    """What `read_batch` sent back for one file, as corpus.load.read_file returns it."""
    outcome = json.loads(text)
    if "missing_on" in outcome:
        raise CorpusNotShared(
            f"the corpus folder {root} does not exist on the Ray node {outcome['missing_on']}: with "
            "--executor ray every node reads the corpus itself, at the path the builder was given; put "
            f"the folder on a filesystem every node mounts at {root} (NFS or a cluster filesystem), or "
            "index with --executor local")
    if "error" in outcome:
        return ArticleError(outcome["error"], outcome["keep_previous"])
    return [_article(fields) for fields in outcome["articles"]]


def article_row(article: Article) -> str:
    """An article as `split_batch` takes it."""
    return json.dumps(dataclasses.asdict(article))


def _article(fields: dict) -> Article:
    return Article(**{**fields, "tags": tuple(fields["tags"])})


def split_batch(batch: dict, tokenizer, params: ChunkParams) -> dict:
    """Chunk the batch's articles with the model's tokenizer: each one's chunk and sentence
    spans, in order (their ordinals are their places)."""
    cut = []
    for row in batch["article"]:
        chunks, sentences = split_article(_article(json.loads(str(row))), tokenizer, params)
        cut.append(json.dumps({"chunks": [[c.start, c.end] for c in chunks],
                               "sentences": [[s.start, s.end] for s in sentences]}))
    return {"row": batch["row"], "spans": np.array(cut, dtype=object)}


def split_result(article: Article, text: str) -> tuple[list[Chunk], list[Chunk]]:
    """What `split_batch` sent back for one article, as corpus.chunk.split_article returns it."""
    spans = json.loads(text)
    chunks, sentences = ([Chunk(article.id, n, start, end, article.text[start:end])
                          for n, (start, end) in enumerate(spans[kind])] for kind in ("chunks", "sentences"))
    return chunks, sentences


class EmbedActor:
    """One Ray actor: the model, loaded once, embedding batch after batch."""

    def __init__(self, model: str, backend: str | None, gpu: bool):
        if gpu and not model.startswith("hash"):  # Ray gave this actor a GPU: torch on CUDA
            self.embedder = SentenceTransformerEmbedder(model, device="cuda")
        else:
            self.embedder = load_embedder(model, backend=backend)

    def __call__(self, batch: dict) -> dict:
        texts = [str(t) for t in batch["text"]]
        if "spans" not in batch:
            return {"row": batch["row"], "vector": np.asarray(self.embedder.encode(texts), dtype=np.float32)}
        # Pooled sentence vectors: each text's spans pooled from its own pass, sent back as the
        # bytes of a float32 matrix (one row per span) beside the text's vector.
        spans = [[tuple(pair) for pair in json.loads(str(s))] for s in batch["spans"]]
        vectors, pooled = self.embedder.encode_with_spans(texts, spans)
        return {"row": batch["row"], "vector": np.asarray(vectors, dtype=np.float32),
                "pooled": np.array([np.asarray(p, dtype=np.float32).tobytes() for p in pooled], dtype=object)}
