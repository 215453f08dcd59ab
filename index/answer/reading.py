"""The reader's part of an answer: the candidates that can win are read with the question, and
the sentence that answers it, not just the one that shares its words, leads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from index.answer.quotes import Sentence
from index.reader import Candidate
from index.search import Passage

# Characters of the passage before a sentence that stand in for its previous sentence when the
# candidates do not hold it (the encoder keeps the last tokens of it).
_BEFORE_CHARS = 300
# Whitespace between two sentences of the candidates that makes them neighbours (newlines and a
# wire story's indentation).
_GAP_CHARS = 12


def candidates_of(passages: Sequence[Passage], sentences: Sequence[Sentence]) -> list[Candidate]:
    """Each sentence with its article's title and the sentence before it in the article."""
    known: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for p in passages:
        known[p.chunk.article_id] += [(h.start, h.end, h.text) for h in p.sentences]
    for spans in known.values():
        spans.sort()
    out = []
    for s in sentences:
        aid = s.passage.chunk.article_id
        previous = max(((e, t) for b, e, t in known[aid] if e <= s.start), default=None)
        if previous is not None and s.start - previous[0] <= _GAP_CHARS:
            text = previous[1]
        else:  # the candidates skip it: the passage's own words before the sentence, if any
            chunk = s.passage.chunk
            text = chunk.text[max(0, s.start - chunk.start - _BEFORE_CHARS):max(0, s.start - chunk.start)].strip()
        out.append(Candidate(s.text, s.passage.title or "", text))
    return out


def read(reader, question: str, history: Sequence[str], passages: Sequence[Passage],
         sentences: list[Sentence], count: int) -> list[Sentence]:
    """The `count` best sentences by the retriever's score, read by `reader` and ordered by its
    probability that they answer; the rest follow unread, as they were."""
    head, rest = sentences[:count], sentences[count:]
    if not head:
        return sentences
    probabilities = reader.score(question, history, candidates_of(passages, head))
    read_ = [replace(s, reader=float(p)) for s, p in zip(head, probabilities)]
    read_.sort(key=lambda s: (-s.reader, -s.score))
    return read_ + rest
