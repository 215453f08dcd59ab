"""The question path, assembled in one place: embedder -> live index -> retriever -> answerer.
The CLI, `footnote eval`, the API and the bot all get theirs from here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import faiss

from index.answer import THRESHOLD, Answerer, AnswerParams
from index.embed import Embedder, load_embedder
from index.search import RetrievalParams, Retriever
from index.stores import Store, open_store


def query_thread_setup() -> None:
    """Run once in each thread that answers questions: FAISS's OpenMP setting is per thread,
    and one thread per query measured fastest (DESIGN.md)."""
    faiss.omp_set_num_threads(1)


def open_answerer(store: Store | Path | str, model: str | Embedder, threshold: float = THRESHOLD,
                  retrieval: RetrievalParams = RetrievalParams(), answering: AnswerParams = AnswerParams(),
                  today=dt.date.today, reader=None) -> Answerer:
    """An Answerer over `store` (index/stores.py; a folder stands for the index folder there),
    following its served generation. `model` is a name (loaded with one torch thread, as
    questions are answered one at a time) or an embedder. `reader` (index.reader.load_reader)
    reads the candidate sentences; None: the retriever's choice alone."""
    store = open_store(Path(store)) if isinstance(store, (str, Path)) else store
    embedder = load_embedder(model, threads=1) if isinstance(model, str) else model
    retriever = Retriever(store.live(embedder.name), embedder, retrieval)
    return Answerer(retriever, threshold, today=today, params=answering, reader=reader)
