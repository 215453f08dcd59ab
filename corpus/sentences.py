"""Sentences with character offsets into the text they came from (syntok)."""

from __future__ import annotations

from syntok import segmenter


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return `(start, end)` spans of the sentences of `text`, in order, whitespace trimmed.

    syntok may rewrite a token's value (for example "n't"), so a sentence's end is taken
    from where the next one starts, never from token values: `text[start:end]` is always
    the original characters.
    """
    starts = [
        sentence[0].offset
        for paragraph in segmenter.analyze(text)
        for sentence in paragraph
        if sentence
    ]
    spans = []
    for i, start in enumerate(starts):
        stop = starts[i + 1] if i + 1 < len(starts) else len(text)
        end = start + len(text[start:stop].rstrip())
        if end > start:
            spans.append((start, end))
    return spans


def first_sentence(text: str, max_chars: int = 100) -> str:
    """The first sentence of `text`, shortened at a word boundary to at most `max_chars`."""
    spans = split_sentences(text[: max_chars * 4])
    sentence = text[spans[0][0]:spans[0][1]] if spans else text.strip()
    sentence = " ".join(sentence.split())
    if len(sentence) <= max_chars:
        return sentence
    cut = sentence[:max_chars].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
