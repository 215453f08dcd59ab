"""What `footnote eval` learns from one question: its Record for the metrics, and a readable
line for `--details` saying hit or miss and why."""

from __future__ import annotations

from dataclasses import dataclass

from index.eval.metrics import Record, contains_answer


@dataclass(frozen=True)
class Outcome:
    id: str
    question: str
    kind: str | None
    history: tuple[str, ...]
    as_of: str | None
    record: Record
    answer: dict
    style: str | None = None

    def details(self) -> dict:
        """One JSON line of `footnote eval --details FILE`."""
        record, answer = self.record, self.answer
        return {
            "id": self.id, "kind": self.kind, "style": self.style, "question": self.question, "history": list(self.history),
            "as_of": self.as_of, "gold": {"answers": list(record.answers), "article_id": record.article_id},
            "retrieved": [{"article_id": p["article_id"], "published": p["published"], "start": p["start"],
                           "end": p["end"], "score": round(p["score"], 4)} for p in answer["passages"]],
            "quotes": [{"article_id": q["article_id"], "start": q["start"], "end": q["end"], "text": q["text"]}
                       for q in answer["quotes"]],
            "confidence": record.confidence, "abstained": record.abstained,
            "hit": verdict(record)[0], "why": verdict(record)[1],
        }


def verdict(record: Record) -> tuple[bool, str]:
    """(whether the answer is right, why), in a curator's words."""
    if not record.answerable:
        if record.abstained:
            return True, "correctly declined: the articles do not cover it"
        return False, f"answered with confidence {record.confidence:.2f} although the articles do not cover it"
    ranked = list(dict.fromkeys(aid for aid, _ in record.passages))
    gold_rank = ranked.index(record.article_id) + 1 if record.article_id in ranked else None
    holder = next((i for i, (_, text) in enumerate(record.passages, 1) if contains_answer(text, record.answers)),
                  None)
    where = _where(record.article_id, gold_rank, holder)
    if record.abstained:
        return False, f"declined (confidence {record.confidence:.2f}); {where}"
    if contains_answer(" ".join(text for text, _ in record.quotes), record.answers):
        return True, f"a quote holds a gold answer; {where}"
    return False, f"no quote holds a gold answer; {where}"


def _where(article_id: str | None, gold_rank: int | None, holder: int | None) -> str:
    parts = []
    if article_id is not None:
        parts.append(f"the gold article is ranked {gold_rank}" if gold_rank
                     else "the gold article is not among the retrieved passages")
    parts.append(f"passage {holder} holds the answer" if holder else "no retrieved passage holds the answer")
    return ", ".join(parts)
