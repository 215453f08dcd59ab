"""Sentences with character offsets into the text they came from (syntok)."""

from __future__ import annotations

import re

from syntok import segmenter

# A line that ends without sentence punctuation, then a line break and a capital: the line is
# a heading when it is clearly shorter than the line after it (hard-wrapped prose keeps its
# lines about equally long, so a wrapped line before a proper noun is not cut).
_LINE_END = re.compile(r"[^\S\n]*\n[^\S\n]*(?=[A-Z0-9\"'“‘(\[])")
_FINAL = frozenset(".!?:;…\"'”’)]»")
HEADING_MAX_CHARS = 150
HEADING_SHORTER = 0.75  # a heading is at most this share of the next line's length

# Titles written before a name: syntok ends a sentence after some of them ("Rep.", "Gov.",
# "Lt."), which cuts the name off the sentence that gives it. "St.", "Ft." and "Mt." name
# places ("St. Louis"), but "Main St." is a street, so they join only after a lowercase word.
_TITLES = frozenset("""Adm Atty Brig Capt Cmdr Col Cpl Det Dr Drs Fr Gen Gens Gov Govs Hon Lt Maj Messrs
    Mr Mrs Ms Msgr Mt Pres Prof Pvt Rep Reps Rev Sen Sens Sgt Sr St Ft Supt""".split())
_PLACE_TITLES = frozenset({"St", "Ft", "Mt"})
# "Jr." and "Sr." after a name end a sentence ("... Tom Reed Jr. He won.") unless the name goes
# on as the name of a day, a street or a building ("Martin Luther King Jr. Day").
_SUFFIXES = frozenset({"Jr", "Sr"})
_NAME_TAILS = frozenset("""Academy Airport Ave Avenue Blvd Boulevard Bridge Building Center Centre Day Drive
    Elementary Expressway Federal Foundation Hall High Highway Hospital Institute Library Memorial Middle
    Park Parkway Plaza Road School Square Stadium Street""".split())
# Capitalised words that start sentences and are not names.
_STARTERS = frozenset("""A About After Again Also Although An And Another Any As At Because Before Both But
    By Despite During Each Earlier Even For From He Her Here His How However I If In Instead It Its Last
    Later Meanwhile More Most Much My No None Not Now Of On Once One Only Or Other Our Over She Since So
    Some Still Such That The Their Then There These They This Those Though Thus To Today Under Until We
    What When Where Whether Which While Who Why With Yet You Your""".split())
_LAST_WORD = re.compile(r"(?:^|(?<=[\s(\[\"'“‘/-]))([A-Z][a-z]{1,5})\.\Z")
_WORD_BEFORE = re.compile(r"(\S+)\s+\S+\Z")
_FIRST_WORD = re.compile(r"[A-Z][\w'’-]*")


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
    starts = [start for n, start in enumerate(starts)
              if n == 0 or not _continues_a_name(text, starts[n - 1], start)]
    spans = []
    for i, start in enumerate(starts):
        stop = starts[i + 1] if i + 1 < len(starts) else len(text)
        end = start + len(text[start:stop].rstrip())
        if end > start:
            spans.extend(_split_headings(text, start, end))
    return spans


def _continues_a_name(text: str, start: int, stop: int) -> bool:
    """Whether the sentence from `stop` goes on from the one at `start`: that one ends with a
    title ("Rep.") and this one starts, in the same paragraph, with a word that can be the name
    after it."""
    before = text[start:stop].rstrip()
    title = _LAST_WORD.search(before)
    name = _FIRST_WORD.match(text, stop)
    if not title or not name or "\n\n" in text[start + title.end():stop] or name.group() in _STARTERS:
        return False
    word = title.group(1)
    previous = _WORD_BEFORE.search(before)
    after_a_name = previous is not None and previous.group(1)[0].isupper()
    if word in _SUFFIXES and after_a_name:
        return name.group() in _NAME_TAILS
    if word in _PLACE_TITLES:
        return not after_a_name
    return word in _TITLES


def _split_headings(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a sentence span after every heading line inside it (a title with no final full
    stop, glued by syntok to the sentence below it)."""
    spans = []
    for match in _LINE_END.finditer(text, start, end):
        line_start = text.rfind("\n", 0, match.start()) + 1
        line = text[max(line_start, start):match.start()]
        next_end = text.find("\n", match.end())
        next_line = text[match.end():end if next_end == -1 or next_end > end else next_end]
        if (line and line[-1] not in _FINAL and len(line) <= HEADING_MAX_CHARS
                and len(line) < HEADING_SHORTER * len(next_line)):
            spans.append((start, match.start()))
            start = match.end()
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
