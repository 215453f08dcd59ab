"""What the reader reads, framed the same way when it is trained and when it answers:

    [CLS] question [SEP] earlier question [SEP] sentence [SEP] title | previous sentence [SEP]

The earlier question is there only in a conversation ("Who founded it?" needs it). The title and
the sentence before the candidate resolve "he" or "the company"; the candidate comes first, so
that clipping the context never cuts the sentence being judged. Token type 0 for the asking side,
1 for the article side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Limits:
    """Tokens each part may take; longer parts are clipped (questions and sentences at their
    end, the previous sentence at its start, so the words nearest the candidate stay)."""

    question: int = 32
    history: int = 16
    sentence: int = 48
    title: int = 12
    previous: int = 16

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Candidate:
    """A sentence to judge, with what surrounds it in its article."""

    sentence: str
    title: str = ""
    previous: str = ""  # the sentence before it in the article ("" for the first)


class PairEncoder:
    """Turns (question, history, candidates) into the model's input arrays."""

    def __init__(self, tokenizer, limits: Limits = Limits()):
        self.tokenizer = tokenizer  # a `tokenizers.Tokenizer` that neither pads nor truncates
        self.limits = limits
        self.cls = tokenizer.token_to_id("[CLS]")
        self.sep = tokenizer.token_to_id("[SEP]")
        self.bar = tokenizer.encode("|", add_special_tokens=False).ids
        if self.cls is None or self.sep is None:
            raise ValueError("the reader's tokenizer has no [CLS] or [SEP] token; it must be a BERT WordPiece "
                             "tokenizer like the bundled all-MiniLM-L6-v2's")

    def encode(self, question: str, history: Sequence[str], candidates: Sequence[Candidate]):
        """(input_ids, attention_mask, token_type_ids), int64 arrays of shape (candidates, longest)."""
        rows = self.rows(question, history, candidates)
        width = max((len(ids) for ids, _ in rows), default=0)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        types = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for n, (row, kinds) in enumerate(rows):
            ids[n, :len(row)] = row
            types[n, :len(row)] = kinds
            mask[n, :len(row)] = 1
        return ids, mask, types

    def rows(self, question: str, history: Sequence[str], candidates: Sequence[Candidate]):
        """One (token ids, token types) pair of lists per candidate, unpadded."""
        lim = self.limits
        texts = [question, history[-1] if history else ""]
        for c in candidates:
            texts += [c.sentence, c.title, c.previous]
        pieces = [e.ids for e in self.tokenizer.encode_batch(texts, add_special_tokens=False)]
        asking = [self.cls, *pieces[0][:lim.question], self.sep]
        if history:
            asking += [*pieces[1][:lim.history], self.sep]
        out = []
        for n in range(len(candidates)):
            sentence, title, previous = pieces[2 + 3 * n: 5 + 3 * n]
            context = title[:lim.title]
            previous = self._word_start(previous[-lim.previous:]) if len(previous) > lim.previous else previous
            if previous:
                context = [*context, *self.bar, *previous] if context else previous
            side = [*sentence[:lim.sentence], self.sep, *context, self.sep]
            out.append(([*asking, *side], [0] * len(asking) + [1] * len(side)))
        return out

    def _word_start(self, ids: list[int]) -> list[int]:
        """`ids` from its first token that starts a word (a clipped start may cut one)."""
        n = 0
        while n < len(ids) and (self.tokenizer.id_to_token(ids[n]) or "").startswith("##"):
            n += 1
        return ids[n:]
