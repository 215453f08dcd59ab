"""The model's own tokenizer (its tokenizer.json, through `tokenizers`), set up either to count
every token (chunk budgets, spans) or to cut and frame texts exactly as the model reads them."""

from __future__ import annotations

from dataclasses import dataclass


def load_tokenizer(source: str, max_tokens: int | None = None):
    """A tokenizer from tokenizer.json text or a file path; padding and truncation switched off,
    or (with `max_tokens`) truncation at that many tokens, special tokens included.

    Bundled tokenizer.json files often pad and truncate to a fixed 128: every caller here wants
    to count every token or to cut where sentence-transformers cuts, so both settings are reset.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(source) if source.lstrip().startswith("{") else Tokenizer.from_file(source)
    tokenizer.no_padding()
    if max_tokens is None:
        tokenizer.no_truncation()
    else:
        tokenizer.enable_truncation(max_length=max_tokens)
    return tokenizer


def visible_end(encoding, text: str) -> int:
    """The character where the model's truncation cut `text` (len(text) when it kept it all):
    the start of the first token that did not fit."""
    for cut in encoding.overflowing[:1]:
        for (start, end), special in zip(cut.offsets, cut.special_tokens_mask):
            if not special and end > start:
                return start
    return len(text)


def special_token_count(tokenizer) -> int:
    """How many tokens the model adds around a single text ([CLS] and [SEP] for BERT)."""
    processor = tokenizer.post_processor
    return processor.num_special_tokens_to_add(False) if processor is not None else 0


@dataclass(frozen=True)
class SpanTokenizer:
    """The model's tokenizer as the chunker sees it (corpus.chunk.TokenSpans), without the model:
    it pickles as its tokenizer.json, so chunking can run on machines that never load the model
    (index/executor.py sends it to Ray workers)."""

    tokenizer: object  # a `tokenizers.Tokenizer` counting every token (load_tokenizer without a limit)
    special_tokens: int

    def token_spans(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        """For each text, the character span of every token the model would see in it."""
        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=False)
        return [[span for span in enc.offsets if span[1] > span[0]] for enc in encodings]
