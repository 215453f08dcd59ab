"""Questions grouped by topic: embedded with the index's own embedder, then joined by average
linkage on cosine distance, cut where the groups' questions stop being alike. Deterministic:
the same questions in the same order give the same groups."""

from __future__ import annotations

import numpy as np

# Average cosine similarity at which two groups of questions are one topic. Chosen on
# bench/gap_questions.jsonl (37 questions written for this: 13 topics, most asked in several ways,
# some alone) with all-MiniLM-L6-v2; the sweep is in docs/gaps.md.
SIMILARITY = 0.45


def group_questions(vectors: np.ndarray, similarity: float = SIMILARITY) -> list[list[int]]:
    """Indices of `vectors` (unit rows) in groups, each group in input order, the groups in the
    order of their first member."""
    n = len(vectors)
    if n == 0:
        return []
    if n == 1:
        return [[0]]
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    distances = np.clip(pdist(np.asarray(vectors, dtype=np.float64), "cosine"), 0.0, 2.0)
    labels = fcluster(linkage(distances, "average"), t=1.0 - similarity, criterion="distance")
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def central(vectors: np.ndarray, members: list[int]) -> int:
    """The member closest on average to the others: the group's label. Ties go to the earliest."""
    block = vectors[members] @ vectors[members].T
    return members[int(np.argmax(block.sum(axis=1) - 1e-9 * np.arange(len(members))))]
