"""Negatives that teach "about this, not answering this" where SQuAD alone does not.

SQuAD's candidates mostly come from the one article a question was written on, so a reader
trained on them never has to check *whose* figure a sentence gives: asked for Texaco's chief
financial officer, it happily quotes another company's. News collections are full of such
neighbours (the same event at another company, another well, another quarter). So beside each
answer sentence the reader also sees a copy of it made wrong in what the question pins down:
a name the question names replaced by another article's name, or a year it names by another
year. And some questions are shown without their answer sentence at all, so that every
candidate is on topic and none answers.
"""

from __future__ import annotations

import random
import re

_CAP = r"[A-Z][\w&.-]*[\w]"
_NAME = re.compile(rf"\b{_CAP}(?:\s+(?:(?:of|the|and|de|du|von|van)\s+)?{_CAP})*")
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
# Capitalised words that are not names: they open questions and sentences, or name a time.
_NOT_NAMES = frozenset("""What Which Who Whom Whose When Where Why How In On At By For From To During After Before
The A An Is Are Was Were Do Does Did Can Could Along Besides Other Since However While Although This These That
Those It Its He She His Her They Their There As If But And Also Then Many Some According Most More One Two Three
Under Over With Without Despite Following Between Among Today Yesterday Monday Tuesday Wednesday Thursday Friday
Saturday Sunday January February March April May June July August September October November December I We You
Our Your Mr Mrs Ms Dr""".split())


def names_in(text: str) -> list[str]:
    """Capitalised names in `text`, whole ("Carolina Panthers") and each word of them that is a
    name alone ("Panthers"); the words that open a question or a sentence left out."""
    out = []
    for match in _NAME.finditer(text):
        words = match.group(0).split()
        while words and words[0] in _NOT_NAMES:
            words = words[1:]
        if not words:
            continue
        whole = " ".join(words)
        out.append(whole)
        out += [w for w in words if w not in _NOT_NAMES and len(w) > 2 and w[0].isupper() and w != whole]
    return list(dict.fromkeys(out))


def swap(question: str, sentence: str, other_names: list[str], rng: random.Random) -> str | None:
    """`sentence` with a name or a year the question also names replaced by another one: the
    same sort of sentence about something else, so it no longer answers; None when the question
    pins down nothing the sentence holds."""
    shared = [n for n in names_in(question) if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", sentence)]
    years = [y for y in _YEAR.findall(question) if y in sentence]
    choices = [("name", n) for n in shared] + [("year", y) for y in years]
    if not choices:
        return None
    kind, old = rng.choice(choices)
    if kind == "year":
        new = str(int(old) + rng.choice((-3, -2, -1, 1, 2)))
    else:
        pool = [n for n in other_names if n != old and n not in question and old not in n and " " in n] or [
            n for n in other_names if n != old and n not in question and old not in n]
        if not pool:
            return None
        new = rng.choice(pool)
    return re.sub(rf"(?<!\w){re.escape(old)}(?!\w)", new, sentence)
