"""The reader's training data, from SQuAD v1.1 dev's first 32 articles only (the last 16 are never
trained or tuned on): each question asked of a Footnote index of those articles exactly as a user
would ask it, and the candidate sentences the answer step would choose among, labelled by whether
they hold SQuAD's answer span.

That makes the hard negatives the ones the reader meets: the other sentences of the same article
("about this, not answering"), and the best sentences of other articles on the same subject. A
question whose answer sentence is not among its candidates teaches abstention: every sentence it
sees is on topic and none answers. Follow-ups are made from pairs of questions about one passage,
the second's shared name turned into a pronoun, so the reader learns to read the earlier question.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from corpus.sentences import split_sentences
from index.answer import AskRequest, Turn
from index.answer.reading import candidates_of

CANDIDATES = 16  # per question: more than the answer step reads, so the reader sees the tail too
_PHRASE = re.compile(r"\b[A-Z][\w'.-]*(?:\s+(?:of|the|and|de|for|[A-Z0-9][\w'.-]*))*(?<![\s,])")
_OPENERS = frozenset("What Which Who Whom Whose When Where Why How In On At By For From To During After Before "
                     "Along Besides Other The A An Is Are Was Were Do Does Did Can Could".split())


@dataclass(frozen=True)
class Asked:
    """A question to ask the index, with what SQuAD says answers it."""

    id: str
    question: str
    history: tuple[str, ...]
    article_id: str
    spans: tuple[tuple[int, int], ...]  # answer spans in the article text
    answers: tuple[str, ...]


def squad_questions(articles: dict[str, dict], rng: random.Random, followups: bool = True) -> list[Asked]:
    """Every question of `articles` (squad_articles' form), and a follow-up made from each pair of
    consecutive questions whose second shares a name with the first."""
    out = []
    for article_id, article in articles.items():
        previous = None
        for qa in article["qas"]:
            spans = tuple(sorted({(a["answer_start"], a["answer_start"] + len(a["text"])) for a in qa["answers"]}))
            answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
            out.append(Asked(qa["id"], qa["question"], (), article_id, spans, answers))
            if followups and previous is not None:
                rewritten = pronoun_followup(previous["question"], qa["question"], rng)
                if rewritten:
                    out.append(Asked(qa["id"] + "/followup", rewritten, (previous["question"],), article_id, spans,
                                     answers))
            previous = qa
    return out


def pronoun_followup(first: str, second: str, rng: random.Random) -> str | None:
    """`second` with a name it shares with `first` turned into "it" or "its" ("Where did Super
    Bowl 50 take place?" after a question naming Super Bowl 50: "Where did it take place?"); None
    when they share none in a place where a pronoun reads right."""
    for match in sorted(_PHRASE.finditer(second), key=lambda m: -len(m.group(0))):
        phrase = match.group(0)
        if phrase in _OPENERS or phrase.split()[0] in _OPENERS or phrase not in first:
            continue
        before = re.sub(r"\b(?:the|The)\s+$", "", second[:match.start()])
        after = second[match.end():]
        word_before = before.split()[-1].lower() if before.split() else ""
        word_after = re.match(r"\s*([\w']*)", after).group(1).lower()
        if word_before and word_before not in _BEFORE_PRONOUN or after[:1] in "/&-":
            continue  # "the ABC merger", "ABC/Disney": a name inside a longer one
        if after.startswith("'s"):
            pronoun, after = "its", after[2:]
        elif not word_after or word_after in _AFTER_PRONOUN:
            pronoun = "it"
        else:
            continue
        text = f"{before}{pronoun}{after}"
        return text[0].upper() + text[1:]
    return None


# Words a pronoun may follow or precede in a question (a verb, a preposition, a question word):
# elsewhere a name is part of a longer noun phrase, and "it" would not read.
_BEFORE_PRONOUN = frozenset("""what which who whom whose when where why how is are was were do does did can could
will would should has have had in on at of for to from by with about into over under after before during since
than did did make made give gave call called name named describe between against""".split())
_AFTER_PRONOUN = frozenset("""is are was were do does did can could will would should has have had in on at of for
to from by with about into over under after before during since than and or become became begin began start
started first last take took make made get got use used win won lose lost play played hold held""".split())


def label(candidate_start: int, candidate_end: int, spans: tuple[tuple[int, int], ...]) -> bool:
    """Whether a sentence holds one of the answer spans whole."""
    return any(candidate_start <= s and e <= candidate_end for s, e in spans)


def mentions(text: str, answers: tuple[str, ...]) -> bool:
    """Whether `text` holds one of the answers as whole words."""
    return any(re.search(rf"(?<!\w){re.escape(a)}(?!\w)", text, re.I) for a in answers if a.strip())


def gold_candidate(text: str, title: str, article_id: str, spans: tuple[tuple[int, int], ...]) -> dict | None:
    """The sentence holding the first answer span, as a candidate (for a question whose answer
    sentence the retrieval missed: the reader still learns what an answer looks like)."""
    sentences = split_sentences(text)
    for n, (s, e) in enumerate(sentences):
        if label(s, e, spans):
            previous = text[sentences[n - 1][0]:sentences[n - 1][1]] if n else ""
            return {"sentence": text[s:e], "title": title, "previous": previous, "article": article_id, "start": s,
                    "end": e, "label": 1, "rank": -1}
    return None


def examples(answerer, asked: list[Asked], texts: dict[str, str], titles: dict[str, str],
             candidates: int = CANDIDATES) -> Iterator[dict]:
    """One record per question: its candidates as the answer step ranks them, labelled."""
    for q in asked:
        request = AskRequest(q.question, history=tuple(Turn(h) for h in q.history), k=10)
        draft = answerer.draft(request)
        head = draft.sentences[:candidates]
        rows = []
        for rank, (s, c) in enumerate(zip(head, candidates_of(draft.passages, head))):
            aid = s.passage.chunk.article_id
            holds = aid == q.article_id and label(s.start, s.end, q.spans)
            if not holds and mentions(s.text, q.answers):
                continue  # the answer's words outside its span: not a clean negative
            rows.append({"sentence": c.sentence, "title": c.title, "previous": c.previous, "article": c.article,
                         "start": c.start, "end": c.end, "label": int(holds), "rank": rank})
        found = any(r["label"] for r in rows)
        if not found:
            gold = gold_candidate(texts[q.article_id], titles[q.article_id], q.article_id, q.spans)
            if gold is not None:
                rows.append(gold)
        yield {"id": q.id, "question": q.question, "history": list(q.history), "article_id": q.article_id,
               "retrieved_gold": found, "candidates": rows}


def write_jsonl(path: Path, records) -> int:
    """Write records to `path` whole (a temporary file renamed into place); returns how many."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    n = 0
    with open(tmp, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    tmp.replace(path)
    return n


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
