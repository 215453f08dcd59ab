"""How sure an answer is: a logistic model over signals that separate "the article is about
this" from "the article answers this", fitted on SQuAD and the news dev set
(bench/tune_confidence.py; figures in docs/quality.md)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from index.answer.kinds import answer_type, has_answer_type
from index.search import content_terms, stem
from index.search.when import time_closeness

FEATURES = ("passage_cosine", "lead_coverage", "lead_cosine", "names_in_lead", "names_in_passage",
            "rankers_agree", "article_margin", "type_in_lead", "passage_coverage", "rarest_missing", "time_fit")
# Fitted by bench/tune_confidence.py on 1,500 SQuAD dev questions (8 articles hidden) and the
# 247 news dev questions, each set weighted equally: AUROC 0.962 on SQuAD, 0.877 on news.
WEIGHTS = {"bias": -5.976, "passage_cosine": 3.302, "lead_coverage": 1.116, "lead_cosine": 1.682,
           "names_in_lead": 0.595, "names_in_passage": 0.944, "rankers_agree": 0.23,
           "article_margin": 2.501, "type_in_lead": 1.285, "passage_coverage": 2.038,
           "rarest_missing": -0.467, "time_fit": 0.233}

# With the reader: its judgement of the lead and of the runner-up join the retriever's signals
# ("about this" is not "answers this"). Fitted by bench/tune_confidence.py --reader bundled on
# SQuAD articles 28:32 (520 questions, 113 unanswerable) and the 360 news dev questions, each set
# weighted equally: AUROC 0.980 on SQuAD, 0.733 on news (0.661 and 0.670 without the reader's
# features). The bias is then raised by 0.2 (the fit's -2.899) so that at the default threshold
# of 0.5 about 5 % of the answerable news questions are declined.
READER_FEATURES = ("reader_logit", "reader_runner_up")
READER_WEIGHTS = {"bias": -2.699, "passage_cosine": 3.004, "lead_coverage": -0.256, "lead_cosine": -0.146,
                  "names_in_lead": 1.101, "names_in_passage": 0.715, "rankers_agree": -0.226,
                  "article_margin": 2.086, "type_in_lead": 0.752, "passage_coverage": 0.829,
                  "rarest_missing": -0.476, "time_fit": 0.27, "reader_logit": 0.53, "reader_runner_up": 1.309}

_NAME = re.compile(r"\b(?:[A-Z][\w&'-]*[\w]|\d[\d.,]*\d|\d)")
_OPENERS = frozenset("""what who whom whose which when where why how is are was were do does did can could
will would should has have had the a an in on at of for to and but or as it its this that these those there
as by from with after before since during according""".split())


def question_names(question: str) -> list[str]:
    """The rare terms a right answer must speak of: names (capitalised words that do not just
    open the question) and numbers."""
    names = []
    for match in _NAME.finditer(question):
        word = match.group(0)
        if word.lower() in _OPENERS:
            continue
        names.append(word.lower())
    return list(dict.fromkeys(names))


def share_present(names: Sequence[str], text: str, weights) -> float:
    """The share of `names` found in `text`, each weighted by its rarity in the collection (a
    name every article carries, such as the city the collection is about, says little);
    1 when there are none to find."""
    if not names:
        return 1.0
    lowered = text.lower()
    rarity = {n: weights.idf(stem(n)) for n in names}
    total = sum(rarity.values())
    if not total:
        return 1.0
    return sum(r for n, r in rarity.items() if n in lowered) / total


def signals(question: str, passages, lead, weights, when=None) -> dict[str, float]:
    """The features of an answer: `passages` as retrieved, `lead` the first quote's sentence,
    `weights` the generation's term weights (TermWeights), `when` the time the question names."""
    names = question_names(question)
    top = passages[0]
    covered, rarest = _term_cover(question, top.chunk.text + " " + (top.title or ""), weights)
    other = next((p for p in passages[1:] if p.chunk.article_id != top.chunk.article_id), None)
    wanted = answer_type(question)
    return {
        "passage_cosine": max(p.dense for p in passages[:3]),
        "lead_coverage": lead.coverage,
        "lead_cosine": lead.cosine,
        "names_in_lead": share_present(names, lead.text, weights),
        "names_in_passage": share_present(names, top.chunk.text + " " + (top.title or ""), weights),
        "rankers_agree": float(0 < top.dense_rank <= 5 and 0 < top.lexical_rank <= 5),
        "article_margin": (top.score - other.score) / top.score if other is not None and top.score else 1.0,
        "type_in_lead": 1.0 if wanted is None else float(has_answer_type(lead.text, wanted,
                                                                         set(question.lower().split()))),
        "passage_coverage": covered,
        "rarest_missing": rarest,
        # A question about September's figure answered from an article of February: the time
        # the question names against when the top article appeared (1 when it names none).
        "time_fit": 1.0 if when is None else min(1.0, time_closeness(top, when, None)),
    }


def _term_cover(question: str, text: str, weights) -> tuple[float, float]:
    """(the share of the question's term weight the text holds, the weight of the rarest
    question term it lacks relative to the question's rarest term): a near miss, such as the
    right company but another quarter, lacks a rare word of the question."""
    terms = [stem(t) for t in content_terms(question)]
    if not terms:
        return 1.0, 0.0
    words = {stem(w) for w in content_terms(text)}
    idf = {t: weights.idf(t) for t in terms}
    total, top = sum(idf.values()) or 1.0, max(idf.values()) or 1.0
    missing = [v for t, v in idf.items() if t not in words]
    return 1.0 - sum(missing) / total, max(missing, default=0.0) / top


def reader_signals(sentences) -> dict[str, float]:
    """The reader's features: the log-odds that the lead (the first sentence) answers, and the
    probability of the best other sentence it read."""
    lead = min(max(sentences[0].reader, 1e-6), 1 - 1e-6)
    runner_up = next((s.reader for s in sentences[1:] if s.reader is not None), 0.0)
    return {"reader_logit": math.log(lead / (1 - lead)), "reader_runner_up": runner_up}


def score(features: dict[str, float], weights: dict[str, float] = WEIGHTS) -> float:
    """The logistic confidence, from 0 to 1; 0 when a feature is not a number (damaged vectors
    must make Footnote decline, never answer with full confidence)."""
    z = weights["bias"] + sum(w * features[name] for name, w in weights.items() if name != "bias")
    if not math.isfinite(z):
        return 0.0
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))
