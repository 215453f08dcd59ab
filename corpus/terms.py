"""Words as the index counts them: lower-cased, stop words out, lightly stemmed. The lexical
index is built with these at index time and questions are read with them at query time, so
both sides always agree."""

from __future__ import annotations

import functools
import hashlib
import re

_STOPWORDS = frozenset("""a an and are as at be been being by can could did do does for from had
has have he her his how i if in into is it its me my of on or our she so than that the their them
then there these they this those to us was we were what when where which who whom whose why will
with would you your about after before also any because between both during each few more most
other over same some such through under until up very just not no nor only own too""".split())
_TERM = re.compile(r"\w+", re.UNICODE)
_SUFFIXES = ("ies", "es", "s", "ing", "ed")


def words(text: str) -> list[str]:
    """Every lower-cased word of `text`, in order."""
    return _TERM.findall(text.lower())


def content_terms(text: str) -> list[str]:
    """The lower-cased words of `text` that carry meaning, in order, without repeats."""
    return list(_content_terms(text))


@functools.lru_cache(maxsize=4096)
def _content_terms(text: str) -> tuple[str, ...]:
    # A question's words are read five times on its way (search, rerank, quotes, confidence).
    return tuple(dict.fromkeys(t for t in words(text) if t not in _STOPWORDS))


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A light suffix strip, so that "strikes" and "striking" meet "strike" halfway."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def index_terms(text: str) -> list[str]:
    """The stems of every content word of `text`, repeats kept (term frequencies count them)."""
    return [stem(t) for t in words(text) if t not in _STOPWORDS]


def index_term(word: str) -> str | None:
    """What `index_terms` counts a lower-cased word as: its stem, or None for a stop word."""
    return None if word in _STOPWORDS else stem(word)


def shingle_hashes(text: str) -> list[int]:
    """Sorted, distinct 63-bit hashes of the word trigrams of `text` (near-duplicate detection)."""
    digests = shingle_digests(words(text))
    return sorted({int.from_bytes(digests[i:i + 8], "little") >> 1 for i in range(0, len(digests), 8)})


def shingle_digests(found: list[str]) -> bytes:
    """The 8-byte blake2b digest of each word trigram of a text given as its `words` (a text of
    one or two words is one gram), end to end; each read as a little-endian integer shifted
    right by one bit is a shingle hash. Grams repeated in the text are digested again."""
    grams = map(" ".join, zip(found, found[1:], found[2:])) if len(found) > 2 else [" ".join(found)] if found else []
    return b"".join([hashlib.blake2b(g, digest_size=8).digest() for g in map(str.encode, grams)])
