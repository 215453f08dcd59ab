"""Gaps: the questions the collection could not answer, kept and grouped by topic for curators
(docs/gaps.md). `GapStore` keeps them; `Gaps` lists them, closing what a newer index answers."""

from index.gaps.grouping import SIMILARITY, group_questions
from index.gaps.report import Gap, Gaps, record_answer, related_of, since_of
from index.gaps.store import FILE, KEPT_BY_CALLER, GapStore, Place

__all__ = ["FILE", "KEPT_BY_CALLER", "SIMILARITY", "Gap", "GapStore", "Gaps", "Place", "group_questions", "record_answer",
           "related_of", "since_of"]
