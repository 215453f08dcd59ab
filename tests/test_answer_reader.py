"""The answer reader as users meet it: the bundled reader loads with its checksum, answers with
FOOTNOTE_READER=off are exactly the answers from before the reader existed, and with the reader
on the demo's questions are answered with verbatim quotes, follow-ups read with their history."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from index.answer import AskRequest
from index.assemble import open_answerer
from index.build import build_index
from index.eval import answer_all, load_questions, summarise
from index.reader import ReaderError, load_reader
from tests.conftest import DEMO, ROOT, article_txt, write

EXPECTED_OFF = ROOT / "tests" / "expected" / "demo-answers-reader-off.jsonl"
TODAY = dt.date(2026, 12, 1)
# Measured with the bundled reader when it shipped (2026-12-05): see docs/quality.md.
DEMO_ANSWER_HIT = 0.708  # 17 of the 24 answerable
DEMO_UNCOVERED_DECLINED = 5  # of 6: "What is the population of Port Alder?" is answered


@pytest.fixture(scope="module")
def demo_index(tmp_path_factory, real_embedder) -> Path:
    index = tmp_path_factory.mktemp("demo") / "index"
    build_index(DEMO, index, real_embedder, progress=False)
    return index


@pytest.fixture(scope="module")
def bundled():
    return load_reader("bundled")


def answer_row(answerer, row: dict) -> dict:
    """One answer in the form of tests/expected: whether it declined, its confidence, what it quotes."""
    as_of = dt.date.fromisoformat(row["as_of"]) if row.get("as_of") else None
    answer = answerer.answer(AskRequest(row["question"], tuple(row.get("history", ())), as_of))
    return {"id": row["id"], "question": row["question"], "history": row.get("history", []),
            "as_of": row.get("as_of"), "declined": answer.abstained, "confidence": round(answer.confidence, 6),
            "quotes": [[q.article_id, q.start, q.end] for q in answer.quotes],
            "citations": [c.article_id for c in answer.citations]}


def test_reader_off_answers_are_the_answers_from_before_the_reader(demo_index, real_embedder):
    """tests/expected/demo-answers-reader-off.jsonl was written by commit c1e24ee, the last one
    before the reader: the demo collection, the demo's 30 questions and three more (two not
    covered, a follow-up two turns deep), answered on the bundled model with today fixed. With
    the reader off, every quote's offsets, every citation and every confidence are the same."""
    expected = [json.loads(line) for line in EXPECTED_OFF.read_text(encoding="utf-8").splitlines()]
    answerer = open_answerer(demo_index, real_embedder, today=lambda: TODAY, reader=None)
    got = [answer_row(answerer, row) for row in expected]
    for want, have in zip(expected, got):
        assert have == want, want["id"]
    assert sum(row["declined"] for row in expected) == 9 and len(expected) == 33


def test_the_bundled_reader_loads_checked_and_a_damaged_copy_is_refused(bundled, tmp_path):
    card = bundled.card
    assert card["format"] == 2 and card["name"].startswith("footnote-reader")
    folder = ROOT / "index" / "reader" / "bundled"
    assert (folder / "MODEL_CARD.md").is_file()
    assert (folder / "reader.onnx").stat().st_size < 30 * 2**20  # the issue's ~30 MB ceiling
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    data = bytearray((copy / "reader.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "reader.onnx").write_bytes(bytes(data))
    with pytest.raises(ReaderError, match="damaged"):
        load_reader(str(copy))


FOUNDERS = {
    "2026/drill-maker.txt": article_txt(
        "2026-02-03",
        "Kestrel Boring Works, the firm that built the tunnel machine Marigold, opened a second factory in "
        "Port Alder on Monday.",
        "The company was founded in 1988 by the engineer Ines Varga, who still chairs its board.",
        "Its machines have dug rail tunnels in nine countries, and the new factory will employ 300 people."),
    "2026/ferry-firm.txt": article_txt(
        "2026-03-11",
        "Bluewater Ferries, which runs the harbour crossing, ordered two electric boats this week.",
        "The operator was founded in 1971 by the fishing captain Olaf Brandt and is now owned by the city.",
        "Its chief executive, Tomas Reyes, said the boats would cut fuel costs by half."),
    "2026/bakery.txt": article_txt(
        "2026-04-20", "A bakery on Quay Street won the regional bread prize for the third year running.",
        "Its owner, Lina Park, credits a sourdough starter she has kept since 2004."),
}


@pytest.fixture(scope="module")
def founders(tmp_path_factory, real_embedder, bundled):
    root = tmp_path_factory.mktemp("founders")
    write(root / "corpus", FOUNDERS)
    build_index(root / "corpus", root / "index", real_embedder, progress=False)
    return open_answerer(root / "index", real_embedder, today=lambda: TODAY, reader=bundled)


@pytest.mark.parametrize("earlier, founder, other", [
    ("Which company built the tunnel machine Marigold?", "Ines Varga", "Olaf Brandt"),
    ("Which firm runs the harbour ferry?", "Olaf Brandt", "Ines Varga")])
def test_a_follow_up_quotes_the_founder_its_history_points_to(founders, earlier, founder, other):
    """"Who founded it?" has two answers in the collection; the earlier question says which."""
    answer = founders.answer(AskRequest("Who founded it?", (earlier,)))
    assert not answer.abstained, answer.confidence
    # The answer leads with the article the history points to, and it names that founder; a
    # further, less likely quote may come from the other article.
    lead = " ".join(q.text for q in answer.quotes if q.n == 1)
    assert founder in lead and other not in lead, answer.text


def test_the_demo_with_the_reader_quotes_verbatim_answers_and_declines_what_it_does_not_cover(
        demo_index, real_embedder, bundled):
    """The demo's 30 questions (docs/demo-eval.jsonl) as `footnote eval` asks them, with the
    bundled reader: every quote is the article's text at its offsets, the answerable questions
    are answered by the quotes at least as often as measured when the reader shipped, and the
    questions the demo does not cover are declined."""
    questions = load_questions(ROOT / "docs" / "demo-eval.jsonl")
    answerer = open_answerer(demo_index, real_embedder, today=lambda: TODAY, reader=bundled)
    outcomes = answer_all(answerer, questions, progress=False)
    metrics = summarise([o.record for o in outcomes])
    assert metrics["verbatim_rate"] == 1.0
    assert metrics["answerable"] == 24 and metrics["unanswerable"] == 6
    assert metrics["answer_hit"] >= DEMO_ANSWER_HIT, metrics
    declined = {o.id for o in outcomes if o.record.abstained}
    uncovered = {q.id for q in questions if not q.answers}
    assert len(uncovered & declined) >= DEMO_UNCOVERED_DECLINED, sorted(uncovered - declined)
