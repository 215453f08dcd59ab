"""What the reader reads, framed the same way when it is trained and when it answers: the
question once, then every candidate sentence, grouped by article under the article's title and
in the article's order, so that each sentence is read with its neighbours:

    [CLS] question [SEP] earlier question [SEP]
          title A | …previous words s1 [SEP] s2 [SEP] … s5 [SEP] title B | s3 [SEP] …

The earlier question is there only in a conversation ("Who founded it?" needs it). Before the
first candidate of an article come the last words of the sentence before it ("he", "the
company" are resolved there or by the title); "…" marks a gap between two candidates that are
not next to each other. Token type 0 for the asking side, 1 for the articles. The model scores
each candidate from the mean of its own tokens (the `pool` matrix); reading them together costs
about half the tokens of reading each pair alone (the question once, no repeated context) and
lets the model weigh the candidates against each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

MAX_TOKENS = 512  # the base model's positions


@dataclass(frozen=True)
class Limits:
    """Tokens each part may take; longer parts are clipped (questions and sentences at their
    end, the previous sentence at its start, so the words nearest the candidate stay). When all
    candidates together would pass MAX_TOKENS, sentences are clipped shorter."""

    question: int = 32
    history: int = 16
    sentence: int = 48
    title: int = 12
    previous: int = 12

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Candidate:
    """A sentence to judge, with where it stands in its article."""

    sentence: str
    title: str = ""
    previous: str = ""  # the sentence before it in the article ("" for the first)
    article: str = ""  # candidates of one article are read together, in the article's order
    start: int = 0  # offsets into the article
    end: int = 0


# Characters between two candidates of one article that still make them neighbours.
_ADJACENT_CHARS = 12


class ListEncoder:
    """Turns (question, history, candidates) into the model's inputs."""

    def __init__(self, tokenizer, limits: Limits = Limits()):
        self.tokenizer = tokenizer  # a `tokenizers.Tokenizer` that neither pads nor truncates
        self.limits = limits
        self.cls = tokenizer.token_to_id("[CLS]")
        self.sep = tokenizer.token_to_id("[SEP]")
        if self.cls is None or self.sep is None:
            raise ValueError("the reader's tokenizer has no [CLS] or [SEP] token; it must be a BERT WordPiece "
                             "tokenizer like the bundled all-MiniLM-L6-v2's")
        self.bar = tokenizer.encode("|", add_special_tokens=False).ids
        self.gap = tokenizer.encode("...", add_special_tokens=False).ids

    def encode(self, question: str, history: Sequence[str], candidates: Sequence[Candidate]):
        """(input_ids, attention_mask, token_type_ids, pool) for one question: int64 arrays of
        shape (1, tokens) and a float32 (1, candidates, tokens) whose row k averages candidate k's
        tokens (candidates in the order given)."""
        ids, types, spans = self.sequence(question, history, candidates)
        pool = np.zeros((1, len(candidates), len(ids)), dtype=np.float32)
        for k, (start, end) in enumerate(spans):
            pool[0, k, start:end] = 1.0 / max(1, end - start)
        row = np.array([ids], dtype=np.int64)
        return row, np.ones_like(row), np.array([types], dtype=np.int64), pool

    def sequence(self, question: str, history: Sequence[str], candidates: Sequence[Candidate]):
        """(token ids, token types, each candidate's (start, end) token span), unpadded."""
        lim = self.limits
        texts = [question, history[-1] if history else ""]
        for c in candidates:
            texts += [c.sentence, c.title, c.previous]
        pieces = [e.ids for e in self.tokenizer.encode_batch(texts, add_special_tokens=False)]
        asking = [self.cls, *pieces[0][:lim.question], self.sep]
        if history:
            asking += [*pieces[1][:lim.history], self.sep]
        order = self._reading_order(candidates)
        sentence_limit = lim.sentence
        while True:
            ids, spans = self._articles(candidates, pieces, order, sentence_limit, len(asking))
            if len(asking) + len(ids) <= MAX_TOKENS or sentence_limit <= 8:
                break
            sentence_limit -= 4
        ids, types = [*asking, *ids], [0] * len(asking) + [1] * len(ids)
        return ids[:MAX_TOKENS], types[:MAX_TOKENS], [(min(s, MAX_TOKENS), min(e, MAX_TOKENS)) for s, e in spans]

    def _reading_order(self, candidates: Sequence[Candidate]) -> list[list[int]]:
        """Candidate indexes grouped by article (articles as they first appear), each group in
        the article's order."""
        groups: dict[str, list[int]] = {}
        for k, c in enumerate(candidates):
            groups.setdefault(c.article or f"#{k}", []).append(k)
        return [sorted(g, key=lambda k: (candidates[k].start, k)) for g in groups.values()]

    def _articles(self, candidates, pieces, order, sentence_limit: int, offset: int):
        lim = self.limits
        ids: list[int] = []
        spans: list[tuple[int, int]] = [(0, 0)] * len(candidates)
        for group in order:
            title = pieces[2 + 3 * group[0] + 1][:lim.title]
            ids += [*title, *self.bar] if title else []
            previous = pieces[2 + 3 * group[0] + 2]
            if previous:
                clipped = self._word_start(previous[-lim.previous:]) if len(previous) > lim.previous else previous
                ids += [*self.gap, *clipped] if len(previous) > lim.previous else clipped
            end_before = None
            for k in group:
                c = candidates[k]
                if end_before is not None and c.start - end_before > _ADJACENT_CHARS:
                    ids += self.gap
                sentence = pieces[2 + 3 * k][:sentence_limit]
                spans[k] = (offset + len(ids), offset + len(ids) + len(sentence))
                ids += [*sentence, self.sep]
                end_before = max(c.end, end_before or c.end)
        return ids, spans

    def _word_start(self, ids: list[int]) -> list[int]:
        """`ids` from its first token that starts a word (a clipped start may cut one)."""
        n = 0
        while n < len(ids) and (self.tokenizer.id_to_token(ids[n]) or "").startswith("##"):
            n += 1
        return ids[n:]
