"""The reader's part of an answer: the candidates that can win are read with the question, and
the sentence that answers it, not just the one that shares its words, leads."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from index.answer.quotes import AnswerParams, Sentence
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
        out.append(Candidate(s.text, s.passage.title or "", text, aid, s.start, s.end))
    return out


# What the probability that a read sentence answers is made of (AnswerParams.reader_weights,
# fitted by bench/tune_reader.py): the reader's log-odds, and the retriever's own view of the
# sentence (its score, and its place among the candidates).
COMBINED_FEATURES = ("reader_logit", "retriever_score", "retriever_first", "retriever_rank")


def candidate_features(sentence: Sentence, probability: float, rank: int) -> list[float]:
    """COMBINED_FEATURES of a candidate the reader gave `probability`, `rank` in the retriever's order."""
    p = min(max(probability, 1e-6), 1 - 1e-6)
    return [math.log(p / (1 - p)), sentence.score, float(rank == 0), rank / 8.0]


def read(reader, question: str, history: Sequence[str], passages: Sequence[Passage],
         sentences: list[Sentence], params: AnswerParams, prefer_recent: bool = False) -> list[Sentence]:
    """The best `params.reader_candidates` sentences by the retriever's score, read by `reader`
    and ordered by the probability that they answer (the reader's judgement and the retriever's
    score together); the rest follow unread, as they were. When the newest report is wanted
    ("what is the latest estimate?"), the sentences likely enough to answer (at least
    `params.reader_recent_band` of the best probability) lead newest first: the reader judges whether a
    sentence answers, not whether a later article has superseded it."""
    head, rest = sentences[:params.reader_candidates], sentences[params.reader_candidates:]
    if not head:
        return sentences
    probabilities = reader.score(question, history, candidates_of(passages, head))
    w = params.reader_weights
    read_ = []
    for rank, (s, p) in enumerate(zip(head, probabilities)):
        z = w["bias"] + sum(w[name] * x for name, x in zip(COMBINED_FEATURES, candidate_features(s, float(p), rank)))
        read_.append(replace(s, reader=1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))))
    read_.sort(key=lambda s: (-s.reader, -s.score))
    if prefer_recent:
        band = params.reader_recent_band * read_[0].reader
        likely = [s for s in read_ if s.reader >= band]
        likely.sort(key=lambda s: s.passage.published or "", reverse=True)  # stable: best first within a day
        read_ = likely + [s for s in read_ if s.reader < band]
    return read_ + rest
