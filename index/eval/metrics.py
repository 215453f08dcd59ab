"""Evaluation metrics: pure functions over per-question records, with no model or index."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

SWEEP_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
DIGITS = 4  # about one question in 10,000; more would only print noise


@dataclass(frozen=True)
class Record:
    """What one question asked for and what the answerer returned for it."""

    id: str
    answers: tuple[str, ...]  # empty: the corpus does not answer the question
    article_id: str | None  # the gold article, when known
    passages: tuple[tuple[str, str], ...]  # ranked (article_id, text)
    quotes: tuple[tuple[str, bool], ...]  # (text, equal to its article slice)
    abstained: bool
    confidence: float
    latency_ms: float

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def squash(text: str) -> str:
    """Runs of whitespace as one space, ends trimmed."""
    return " ".join(text.split())


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether a gold answer occurs in `text`: exactly, or once whitespace is normalised."""
    if any(a in text for a in answers):
        return True
    flat = squash(text)
    return any(squash(a) in flat for a in answers if squash(a))


def first_answer_rank(record: Record, k: int) -> int | None:
    """The 1-based rank of the first of the top `k` passages holding an answer."""
    for rank, (_, text) in enumerate(record.passages[:k], 1):
        if contains_answer(text, record.answers):
            return rank
    return None


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def passage_recall(records: Sequence[Record], k: int) -> float | None:
    """Share of answerable questions with an answer in one of the top `k` passages."""
    return mean([first_answer_rank(r, k) is not None for r in records if r.answerable])


def mrr(records: Sequence[Record], k: int = 10) -> float | None:
    """Mean reciprocal rank of the first passage holding an answer (0 beyond rank `k`)."""
    ranks = [first_answer_rank(r, k) for r in records if r.answerable]
    return mean([1.0 / rank if rank else 0.0 for rank in ranks])


def article_recall(records: Sequence[Record], k: int) -> float | None:
    """Share of questions with a gold article that find it among the top `k` passages' articles."""
    return mean([r.article_id in {aid for aid, _ in r.passages[:k]}
                 for r in records if r.article_id is not None])


def answer_hit(records: Sequence[Record]) -> float | None:
    """Share of answerable questions whose quotes, joined, hold a gold answer."""
    return mean([contains_answer(" ".join(text for text, _ in r.quotes), r.answers)
                 for r in records if r.answerable])


def verbatim_rate(records: Sequence[Record]) -> float | None:
    """Share of all quotes equal to the slice of the article they point at."""
    return mean([ok for r in records for _, ok in r.quotes])


def abstain_precision_recall(records: Sequence[Record], threshold: float | None = None
                             ) -> tuple[float | None, float | None]:
    """Precision and recall of abstaining, the positive class being the unanswerable questions.

    With `threshold`, a question counts as abstained when its confidence is below it,
    whatever the answerer decided: what that threshold would give.
    """
    predicted = [r.abstained if threshold is None else r.confidence < threshold for r in records]
    hits = sum(p and not r.answerable for p, r in zip(predicted, records))
    unanswerable = sum(not r.answerable for r in records)
    return (hits / sum(predicted) if any(predicted) else None,
            hits / unanswerable if unanswerable else None)


def abstain_rate_answerable(records: Sequence[Record], threshold: float | None = None) -> float | None:
    """Share of answerable questions that were abstained on: the false abstentions."""
    return mean([r.abstained if threshold is None else r.confidence < threshold
                 for r in records if r.answerable])


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Area under the ROC curve by the rank (Mann-Whitney) formula, ties counted half."""
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return None
    ranks = average_ranks(scores)
    rank_sum = sum(rank for rank, label in zip(ranks, labels) if label)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks in ascending order; tied values share the mean of their ranks."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for i in order[start:end + 1]:
            ranks[i] = (start + end) / 2 + 1
        start = end + 1
    return ranks


MISSES = ("wrong_sentence", "article_missed", "declined", "uncovered_answered")


def miss_class(record: Record) -> str | None:
    """Why an answer is wrong, in one of MISSES, or None when it is right: quotes from the gold
    article's neighbourhood that do not answer (the gold article among the first two cited),
    the gold article missed, an answerable question declined, or an uncovered one answered."""
    if not record.answerable:
        return None if record.abstained else "uncovered_answered"
    if record.abstained:
        return "declined"
    if contains_answer(" ".join(text for text, _ in record.quotes), record.answers):
        return None
    first_two = list(dict.fromkeys(aid for aid, _ in record.passages))[:2]
    return "wrong_sentence" if record.article_id is None or record.article_id in first_two else "article_missed"


def misses(records: Sequence[Record]) -> dict[str, int]:
    """How many answers went wrong in each way of MISSES."""
    found = [miss_class(r) for r in records]
    return {f"miss_{name}": found.count(name) for name in MISSES}


def abstain_auroc(records: Sequence[Record]) -> float | None:
    """How well `1 - confidence` separates unanswerable from answerable questions."""
    return auroc([1.0 - r.confidence for r in records], [not r.answerable for r in records])


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile, interpolated linearly between the closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def threshold_sweep(records: Sequence[Record]) -> list[dict]:
    """Abstention precision and recall at each of SWEEP_THRESHOLDS, to choose a default."""
    rows = []
    for threshold in SWEEP_THRESHOLDS:
        precision, recall = abstain_precision_recall(records, threshold)
        rows.append(_rounded({"threshold": threshold, "abstain_precision": precision,
                              "abstain_recall": recall,
                              "abstain_rate_answerable": abstain_rate_answerable(records, threshold)}))
    return rows


def summarise(records: Sequence[Record]) -> dict:
    """Every metric `footnote eval` reports, rounded to DIGITS places."""
    precision, recall = abstain_precision_recall(records)
    latencies = [r.latency_ms for r in records]
    metrics = {
        "questions": len(records),
        "answerable": sum(r.answerable for r in records),
        "unanswerable": sum(not r.answerable for r in records),
        "quotes": sum(len(r.quotes) for r in records),
        "passage_recall@1": passage_recall(records, 1),
        "passage_recall@5": passage_recall(records, 5),
        "passage_recall@10": passage_recall(records, 10),
        "mrr": mrr(records, 10),
        "article_recall@5": article_recall(records, 5),
        "answer_hit": answer_hit(records),
        "verbatim_rate": verbatim_rate(records),
        "abstain_precision": precision,
        "abstain_recall": recall,
        "abstain_auroc": abstain_auroc(records),
        "abstain_rate_answerable": abstain_rate_answerable(records),
        **misses(records),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }
    return {**_rounded(metrics), "threshold_sweep": threshold_sweep(records)}


def summarise_by_kind(records: Sequence[Record], kinds: Sequence[str]) -> dict[str, dict]:
    """The main figures for each kind of question (as a questions file labels them)."""
    by_kind: dict[str, list[Record]] = {}
    for record, kind in zip(records, kinds):
        by_kind.setdefault(kind, []).append(record)
    return {kind: _rounded({"questions": len(group), "article_recall@5": article_recall(group, 5),
                            "answer_hit": answer_hit(group), "declined": mean([r.abstained for r in group]),
                            "confidence_mean": mean([r.confidence for r in group])})
            for kind, group in sorted(by_kind.items())}


def _rounded(values: dict) -> dict:
    return {k: round(v, DIGITS) if isinstance(v, float) else v for k, v in values.items()}


def format_table(metrics: dict) -> str:
    """The metrics as aligned `name  value` lines, then the threshold sweep."""
    scalars = {k: v for k, v in metrics.items() if not isinstance(v, (list, dict))}
    width = max(map(len, scalars))
    lines = [f"{name:<{width}}  {_cell(name, value)}" for name, value in scalars.items()]
    for label in ("kind", "style"):
        groups = metrics.get(f"by_{label}") or {}
        if groups:
            columns = list(next(iter(groups.values())))
            width = max(len(label), *map(len, groups))
            lines += ["", f"by {label}:", f"{label:<{width}}  " + "  ".join(columns)]
            lines += [f"{name:<{width}}  " + "  ".join(f"{_cell(c, row[c]):>{len(c)}}" for c in columns)
                      for name, row in groups.items()]
    sweep = metrics.get("threshold_sweep") or []
    if sweep:
        columns = list(sweep[0])
        lines += ["", "if abstaining below a confidence threshold:", "  ".join(columns)]
        lines += ["  ".join(f"{_cell(c, row[c]):>{len(c)}}" for c in columns) for row in sweep]
    return "\n".join(lines)


def _cell(name: str, value) -> str:
    if value is None:
        return "n/a"
    if name == "threshold" or name.endswith("_ms"):
        return f"{value:.1f}"
    if isinstance(value, float):
        return f"{value:.{DIGITS}f}"
    return str(value)
