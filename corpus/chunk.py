"""Chunks: sentences packed under a token budget, with exact offsets into the article."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from corpus.article import Article, Chunk
from corpus.furniture import quotable_spans
from corpus.sentences import split_sentences


class TokenSpans(Protocol):
    """A model's tokenizer, seen as character spans: what the chunker needs of it."""

    special_tokens: int  # tokens the model adds around every input ([CLS], [SEP])

    def token_spans(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        """For each text, the `(start, end)` character span of every token."""


@dataclass(frozen=True)
class ChunkParams:
    max_tokens: int  # model input tokens per chunk, special tokens included
    overlap_sentences: int = 1

    def __post_init__(self) -> None:
        if self.max_tokens < 8:
            raise ValueError(f"max_tokens={self.max_tokens} is too small; use at least 8 (the default is 256)")
        if self.overlap_sentences < 0:
            raise ValueError("overlap_sentences must be 0 or more")


def split_article(article: Article, tokenizer: TokenSpans, params: ChunkParams) -> tuple[list[Chunk], list[Chunk]]:
    """An article's chunks and the sentence units quotes are taken from (a sentence over the
    budget cut in pieces; page furniture left out, corpus/furniture.py);
    `article.text[c.start:c.end] == c.text` for every one of both."""
    budget = params.max_tokens - tokenizer.special_tokens
    units = sentence_units(article, tokenizer, params)
    # Chunks are packed from every unit, furniture included: the passages stay whole.
    quotable = quotable_spans(article.text, [(s, e) for s, e, _ in units], article.furniture)
    sentences = [Chunk(article.id, n, s, e, article.text[s:e]) for n, (s, e) in enumerate(quotable)]
    return pack_chunks(article, units, budget, params.overlap_sentences), sentences


def split_articles(articles: list[Article], tokenizer: TokenSpans, params: ChunkParams,
                   on_done: Callable[[int], None] | None = None) -> list[tuple[list[Chunk], list[Chunk]]]:
    """`split_article` of each article, in order; `on_done(1)` after each."""
    out = []
    for article in articles:
        out.append(split_article(article, tokenizer, params))
        if on_done is not None:
            on_done(1)
    return out


def sentence_units(article: Article, tokenizer: TokenSpans, params: ChunkParams) -> list[tuple[int, int, int]]:
    """`(start, end, tokens)` of each sentence, a sentence over the budget cut into pieces."""
    text = article.text
    budget = params.max_tokens - tokenizer.special_tokens
    sentences = split_sentences(text)
    spans = tokenizer.token_spans([text[s:e] for s, e in sentences])
    units: list[tuple[int, int, int]] = []
    for (s, e), tokens in zip(sentences, spans):
        if len(tokens) <= budget:
            units.append((s, e, len(tokens)))
        else:
            units.extend(_split_long(text, s, tokens, budget))
    return units


def pack_chunks(article: Article, units: list[tuple[int, int, int]], budget: int,
                overlap: int) -> list[Chunk]:
    """Greedily pack sentence units into chunks of at most `budget` tokens, overlapping by
    `overlap` whole units."""
    text = article.text
    chunks = []
    i = 0
    while i < len(units):
        j, total = i, units[i][2]
        while j + 1 < len(units) and total + units[j + 1][2] <= budget:
            j += 1
            total += units[j][2]
        start, end = units[i][0], units[j][1]
        chunks.append(Chunk(article.id, len(chunks), start, end, text[start:end]))
        if j + 1 >= len(units):
            break
        i = max(i + 1, j + 1 - overlap)
    return chunks


def _split_long(text: str, offset: int, tokens: list[tuple[int, int]], budget: int):
    """Cut a sentence longer than the budget into pieces, at word starts where possible."""
    pieces = []
    first = 0
    while first < len(tokens):
        last = min(first + budget, len(tokens))  # exclusive
        if last < len(tokens):
            # Step back to a token that starts a word, so no word is cut in two.
            for cut in range(last, first, -1):
                at = offset + tokens[cut][0]
                if at > 0 and text[at - 1].isspace():
                    last = cut
                    break
        start = offset + tokens[first][0]
        end = offset + tokens[last - 1][1]
        pieces.append((start, end, last - first))
        first = last
    return pieces
