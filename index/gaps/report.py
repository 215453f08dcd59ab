"""The gap list: stored questions grouped by topic, each group with how often and when it was
asked, its most central question as a label, and the nearest articles the collection has.

A group closes by itself once the index has changed and one of its questions is now answered
confidently: on each listing, an open group not yet checked against the served generation
has its label and its newest question asked again (a 👎 counts as answered only when the new
answer cites an article its old one did not)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import numpy as np

from index.answer import Answer, Answerer, AskRequest
from index.gaps.grouping import SIMILARITY, central, group_questions
from index.gaps.store import Asked, GapStore, Place, now

NEAREST = 3  # articles shown per gap
UNITS = {"h": dt.timedelta(hours=1), "d": dt.timedelta(days=1), "w": dt.timedelta(weeks=1)}


@dataclass(frozen=True)
class Gap:
    label: str
    count: int
    first_asked: str
    last_asked: str
    questions: list[dict]  # newest first: question, asked_at, kind, origin, guild_id, private
    nearest: list[dict]  # article_id, title, published
    closed_at: str | None = None
    closed_by: str | None = None  # the article that answered it

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    def as_dict(self) -> dict:
        return {**asdict(self), "closed": self.closed}


def since_of(text: str | None, at: dt.datetime | None = None) -> dt.datetime | None:
    """`7d`, `24h`, `2w` (before `at`, default now) or a day `YYYY-MM-DD` as a UTC time; None for
    nothing. ValueError names the forms."""
    text = (text or "").strip().lower()
    if not text:
        return None
    if text[:-1].isdigit() and text[-1:] in UNITS:
        return (at or now()) - int(text[:-1]) * UNITS[text[-1]]
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.timezone.utc)
    except ValueError:
        raise ValueError(f"since {text[:40]!r} is neither a span nor a day; write e.g. 7d, 24h, 2w or 2026-11-30") from None


def related_of(answer: Answer | dict) -> list[dict]:
    """What an answer offers as nearest articles: the closest when it declined, else its citations."""
    data = answer if isinstance(answer, dict) else answer.as_dict()
    cited = data["related"] if data["abstained"] else data["citations"]
    return [{"article_id": c["article_id"], "title": c["title"], "published": c["published"]} for c in cited]


def record_answer(store: GapStore, answer: Answer | dict, origin: str, kind: str = "declined", **where) -> int | None:
    """Keep `answer` as a gap: a declined question (only if it was declined) or a 👎 answer."""
    data = answer if isinstance(answer, dict) else answer.as_dict()
    if kind == "declined" and not data["abstained"]:
        return None
    return store.record(data["question"], kind, origin, data.get("generation"), related=related_of(data), **where)


class Gaps:
    """Gap lists over one store, answered and embedded by one answerer (the one already loaded)."""

    def __init__(self, store: GapStore, answerer: Answerer, similarity: float = SIMILARITY):
        self.store = store
        self.answerer = answerer
        self.similarity = similarity

    def list(self, place: Place = Place(), since: dt.datetime | None = None, closed: bool = False) -> list[Gap]:
        """The groups of what `place` may see since `since`, most asked first; closed ones too with `closed`."""
        rows = self.store.rows(place, since)
        if not rows:
            return []
        vectors = self._vectors(rows)
        found = group_questions(vectors, self.similarity)
        groups = [[rows[i] for i in members] for members in found]
        labels = [rows[central(vectors, members)] for members in found]
        if self._close_answered(groups, labels):
            rows = {r.id: r for r in self.store.rows(place, since)}
            groups = [[rows[r.id] for r in group] for group in groups]
        gaps = [gap_of(group, label) for group, label in zip(groups, labels)]
        gaps = [g for g in gaps if closed or not g.closed]
        gaps.sort(key=lambda g: g.last_asked, reverse=True)
        return sorted(gaps, key=lambda g: (g.closed, -g.count))  # stable: the latest first within a count

    def _vectors(self, rows: list[Asked]) -> np.ndarray:
        """The rows' question vectors: stored ones reused, the others embedded once and stored."""
        embedder = self.answerer.retriever.embedder
        stored = self.store.vectors([r.id for r in rows], embedder.cache_key)
        missing = [r for r in rows if r.id not in stored]
        if missing:
            new = embedder.encode([r.question for r in missing])
            fresh = {r.id: v.astype(np.float32).tobytes() for r, v in zip(missing, new)}
            self.store.keep_vectors(fresh, embedder.cache_key)
            stored.update(fresh)
        return np.stack([np.frombuffer(stored[r.id], dtype=np.float32) for r in rows])

    def _close_answered(self, groups: list[list[Asked]], labels: list[Asked]) -> bool:
        """Ask again the open groups the served generation has not seen (they may close), and
        those kept without nearest articles (to find some); True when rows changed."""
        generation = self.answerer.retriever.live.current().name
        changed = False
        for group, label in zip(groups, labels):
            open_rows = [r for r in group if r.closed_at is None]
            stale = [r for r in open_rows if (r.checked_generation or r.generation) != generation]
            unseen = [r for r in open_rows if r.checked_generation is None and not r.related]
            if not stale and not unseen:
                continue
            newest = max(open_rows, key=lambda r: (r.created_at, r.id))
            answers = [(row, self.answerer.answer(AskRequest(row.question)))
                       for row in ([label] if label is newest else [label, newest])]
            answered = next((a for row, a in answers if _answers(row, a)), None) if stale else None
            if answered:
                self.store.close_rows([r.id for r in open_rows], answered.citations[0].article_id, generation)
            else:
                self.store.mark_checked([r.id for r in stale + unseen], generation, related_of(answers[0][1]))
            changed = True
        return changed


def _answers(row: Asked, answer: Answer) -> bool:
    """A confident answer; for a 👎, one citing an article the disliked answer did not."""
    if answer.abstained or not answer.citations:
        return False
    return row.kind == "declined" or bool({c.article_id for c in answer.citations} - {c["article_id"] for c in row.related})


def gap_of(group: list[Asked], label: Asked) -> Gap:
    newest_first = sorted(group, key=lambda r: (r.created_at, r.id), reverse=True)
    closed = [r for r in group if r.closed_at]
    is_closed = len(closed) == len(group)
    last_close = max(closed, key=lambda r: r.closed_at) if is_closed else None
    checked = [r for r in newest_first if r.related]
    nearest = list((label if label.related else checked[0] if checked else label).related)[:NEAREST]
    return Gap(label=label.question, count=len(group), first_asked=newest_first[-1].created_at,
               last_asked=newest_first[0].created_at,
               questions=[{"question": r.question, "asked_at": r.created_at, "kind": r.kind, "origin": r.origin,
                           "guild_id": r.guild_id, "private": r.private} for r in newest_first],
               nearest=nearest, closed_at=last_close.closed_at if last_close else None,
               closed_by=last_close.closed_by if last_close else None)


__all__ = ["Gap", "Gaps", "Place", "now", "record_answer", "related_of", "since_of"]
