"""Retrieval: the Retriever and its Query, filters, the knobs (RetrievalParams), the lexical
side (terms, IDF), fusion, the sentence rerank and time as evidence. Imports `index.embed`
and `index.store`, never the answer step above it."""

from __future__ import annotations

from index.search.fusion import collapse, fuse
from index.search.params import MAX_PER_ARTICLE, RetrievalParams
from index.search.retriever import Query, Retriever
from index.search.sentences import rerank
from index.search.terms import TermWeights, content_terms, stem
from index.search.types import Passage, SentenceHit, span_text
from index.search.when import FIRST_DAY, LAST_DAY
from index.store import Filters, LiveIndex

__all__ = ["FIRST_DAY", "LAST_DAY", "MAX_PER_ARTICLE", "Filters", "LiveIndex", "Passage", "Query", "RetrievalParams", "Retriever",
           "SentenceHit", "TermWeights", "collapse", "content_terms", "fuse", "rerank", "span_text", "stem"]
