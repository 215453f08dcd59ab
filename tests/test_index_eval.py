"""`footnote eval`: the metrics on a hand-made set, SQuAD conversion, the questions file, end to end."""

import json

import pytest

from corpus.load import load_corpus
from index import eval as evaluate
from index import assemble
from index.eval import command as eval_command
from index.build import build_index
from index.cli import main
from index.embed import HashingEmbedder
from index.eval import QuestionsError, load_questions, sample_questions, squad_to_corpus
from index.eval.squad import squad_articles
from index.eval.metrics import (Record, abstain_auroc, abstain_precision_recall, abstain_rate_answerable,
                           answer_hit, article_recall, auroc, contains_answer, miss_class, misses, mrr, passage_recall,
                           percentile, summarise, verbatim_rate)
from tests.conftest import article_txt, write

FILLER = ("x", "nothing here")


def rec(id, answers, article_id, passages, quotes, abstained, confidence, latency_ms=10.0):
    return Record(id, tuple(answers), article_id, tuple(passages), tuple(quotes), abstained,
                  confidence, latency_ms)


# Worked out by hand (the test's docstring gives the sums).
RECORDS = [
    # answer at rank 2, gold article at rank 2, a verbatim quote holding the answer
    rec("r1", ["Paris"], "a", [("b", "London is big."), ("a", "Paris is the capital.")],
        [("Paris is the capital.", True)], False, 0.9, 10),
    # answer at rank 1 only once whitespace is normalised; its one quote is not verbatim
    rec("r2", ["New York", "NYC"], "c", [("c", "They moved to New\n  York in May.")],
        [("They moved.", False)], False, 0.6, 20),
    # answer and gold article only at rank 6; abstained (a false abstention)
    rec("r3", ["42"], "d", [FILLER] * 5 + [("d", "The answer is 42.")], [], True, 0.3, 30),
    # unanswerable, rightly abstained
    rec("r4", [], None, [("a", "Paris is the capital.")], [], True, 0.3, 40),
    # unanswerable, answered anyway with two verbatim quotes
    rec("r5", [], None, [("b", "London is big.")], [("London", True), ("is big.", True)], False, 0.6, 50),
]


def test_retrieval_metrics_on_the_hand_made_set():
    """recall@1 = (0+1+0)/3, @5 = (1+1+0)/3, @10 = 3/3; MRR = (1/2 + 1 + 1/6)/3 = 5/9;
    article recall@5 = (1+1+0)/3."""
    assert passage_recall(RECORDS, 1) == pytest.approx(1 / 3)
    assert passage_recall(RECORDS, 5) == pytest.approx(2 / 3)
    assert passage_recall(RECORDS, 10) == pytest.approx(1.0)
    assert mrr(RECORDS, 10) == pytest.approx(5 / 9)
    assert mrr(RECORDS, 5) == pytest.approx(1.5 / 3)  # rank 6 counts 0 when cut at 5
    assert article_recall(RECORDS, 5) == pytest.approx(2 / 3)


def test_answer_and_quote_metrics_on_the_hand_made_set():
    """answer hit: only r1's quotes hold an answer, 1/3; verbatim: 3 of the 4 quotes."""
    assert answer_hit(RECORDS) == pytest.approx(1 / 3)
    assert verbatim_rate(RECORDS) == pytest.approx(3 / 4)
    assert verbatim_rate([RECORDS[2]]) is None  # no quote, no rate


def test_abstention_metrics_with_ties():
    """Abstained: r3, r4; unanswerable: r4, r5 -> precision 1/2, recall 1/2, false abstentions 1/3.
    AUROC over 1 - confidence: r4 (0.7) beats r1, r2 and ties r3: 2.5; r5 (0.4) beats r1, ties
    r2, loses to r3: 1.5; (2.5 + 1.5) / (2 * 3) = 2/3."""
    assert abstain_precision_recall(RECORDS) == pytest.approx((0.5, 0.5))
    assert abstain_rate_answerable(RECORDS) == pytest.approx(1 / 3)
    assert abstain_auroc(RECORDS) == pytest.approx(2 / 3)
    # what a threshold would give: below 0.7 are r2, r3, r4, r5; below 0.1 nothing
    assert abstain_precision_recall(RECORDS, 0.7) == pytest.approx((0.5, 1.0))
    assert abstain_rate_answerable(RECORDS, 0.7) == pytest.approx(2 / 3)
    assert abstain_precision_recall(RECORDS, 0.1) == (None, 0.0)


@pytest.mark.parametrize("scores, labels, expected", [
    ([0.9, 0.8, 0.2, 0.1], [True, True, False, False], 1.0),
    ([0.1, 0.2, 0.8, 0.9], [True, True, False, False], 0.0),
    ([0.5, 0.5, 0.5], [True, False, False], 0.5),
    ([0.3, 0.3, 0.1, 0.9], [True, False, False, True], (1.5 + 2) / 4),
    ([0.1, 0.2], [True, True], None),
    ([], [], None),
])
def test_auroc_by_ranks_counts_ties_half(scores, labels, expected):
    assert auroc(scores, labels) == (pytest.approx(expected) if expected is not None else None)


def test_answers_match_exactly_or_after_whitespace_but_never_case_blind():
    assert contains_answer("in New\n York city", ["New York"])
    assert contains_answer("the year  1973", ["year 1973"])
    assert not contains_answer("Paris", ["paris"])
    assert not contains_answer("anything", [])


def test_misses_are_told_apart_by_how_the_answer_went_wrong():
    """r1 and r4 are right; r2 quotes the gold article (ranked first) without the answer; r3 is
    declined; r5 answers an uncovered question. With r2's gold article ranked third, it is missed."""
    assert [miss_class(r) for r in RECORDS] == [None, "wrong_sentence", "declined", None, "uncovered_answered"]
    assert misses(RECORDS) == {"miss_wrong_sentence": 1, "miss_article_missed": 0, "miss_declined": 1,
                               "miss_uncovered_answered": 1}
    far = rec("r6", ["42"], "d", [("a", "x"), ("b", "y"), ("d", "The answer is 42.")], [("x", True)], False, 0.9)
    assert miss_class(far) == "article_missed"


def test_percentiles_interpolate_like_numpy():
    assert percentile([50, 10, 40, 20, 30], 50) == 30
    assert percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48)
    assert percentile([], 50) is None


def test_summary_has_counts_metrics_and_the_threshold_sweep():
    summary = summarise(RECORDS)
    assert {k: summary[k] for k in ("questions", "answerable", "unanswerable", "quotes")} == {
        "questions": 5, "answerable": 3, "unanswerable": 2, "quotes": 4}
    assert summary["mrr"] == pytest.approx(5 / 9, abs=1e-4)
    assert summary["latency_p50_ms"] == 30 and summary["latency_p95_ms"] == pytest.approx(48)
    sweep = {row["threshold"]: row for row in summary["threshold_sweep"]}
    assert sorted(sweep) == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert sweep[0.5] == {"threshold": 0.5, "abstain_precision": 0.5, "abstain_recall": 0.5,
                          "abstain_rate_answerable": pytest.approx(1 / 3, abs=1e-4)}
    assert sweep[0.3]["abstain_recall"] == 0.0  # below the threshold, not at it, as the Answerer does
    assert sweep[0.9]["abstain_recall"] == 1.0 and sweep[0.9]["abstain_rate_answerable"] == pytest.approx(2 / 3, abs=1e-4)


# SQuAD conversion

def squad_json(path):
    def article(title, *paragraphs):
        return {"title": title, "paragraphs": [
            {"context": context, "qas": [{"id": f"{title}-{i}-{j}", "question": q,
                                          "answers": [{"text": a, "answer_start": context.find(a)} for a in answers]}
                                         for j, (q, answers) in enumerate(qas)]}
            for i, (context, qas) in enumerate(paragraphs)]}
    data = {"version": "1.1", "data": [
        article("Alpha_One", ("The alpha river is long.", [("Which river is long?", ["alpha river", "alpha river"])]),
                ("It flows north.", [("Where does it flow?", ["north"])])),
        article("Beta", ("Beta is a letter.", [("What is Beta?", ["a letter", "letter"])])),
        article("Gamma_(letter)", ("Gamma follows beta.", [("What follows beta?", ["Gamma"])])),
        article("Delta", ("Delta is a river mouth.", [("What is a delta?", ["river mouth"])])),
    ]}
    path.write_text(json.dumps(data))
    return path


def rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_squad_articles_become_json_articles_and_questions_dedupe_answers(tmp_path):
    corpus, questions = squad_to_corpus(squad_json(tmp_path / "dev.json"), tmp_path / "out")
    loaded = {a.id: a for a in load_corpus(corpus).articles}
    assert sorted(loaded) == ["Alpha_One", "Beta", "Delta", "Gamma_(letter)"]
    assert loaded["Alpha_One"].title == "Alpha One"
    assert loaded["Alpha_One"].text == "The alpha river is long.\n\nIt flows north."
    first = rows(questions)[0]
    assert first == {"id": "Alpha_One-0-0", "question": "Which river is long?",
                     "answers": ["alpha river"], "article_id": "Alpha_One"}
    assert rows(questions)[2]["answers"] == ["a letter", "letter"]
    assert len(load_questions(questions)) == 5


def test_holdout_leaves_articles_out_and_makes_their_questions_unanswerable(tmp_path):
    squad = squad_json(tmp_path / "dev.json")
    corpus, questions = squad_to_corpus(squad, tmp_path / "h", holdout=2, seed=7)
    kept = {p.stem for p in corpus.iterdir()}
    held = {"Alpha_One", "Beta", "Delta", "Gamma_(letter)"} - kept
    assert len(kept) == 2 and len(held) == 2
    for row in rows(questions):
        title = row["id"].rsplit("-", 2)[0]
        if title in held:
            assert row["answers"] == [] and "article_id" not in row
        else:
            assert row["answers"] and row["article_id"] == title
    again, _ = squad_to_corpus(squad, tmp_path / "again", holdout=2, seed=7)
    assert {p.stem for p in again.iterdir()} == kept
    choices = {frozenset(p.stem for p in squad_to_corpus(squad, tmp_path / f"s{s}", 2, s)[0].iterdir())
               for s in range(8)}
    assert len(choices) > 1  # the seed does choose


def test_conversion_is_reused_until_the_source_changes(tmp_path):
    squad = squad_json(tmp_path / "dev.json")
    corpus, _ = squad_to_corpus(squad, tmp_path / "out")
    (tmp_path / "out" / "marker").write_text("")
    squad_to_corpus(squad, tmp_path / "out")
    assert (tmp_path / "out" / "marker").exists()
    squad.write_text(squad.read_text().replace("north", "south"))
    squad_to_corpus(squad, tmp_path / "out")
    assert not (tmp_path / "out" / "marker").exists()
    assert "flows south" in (corpus / "Alpha_One.json").read_text()


def test_squad_articles_chooses_a_span_in_file_order_and_holds_out_among_it(tmp_path):
    squad = squad_json(tmp_path / "dev.json")
    corpus, questions = squad_to_corpus(squad, tmp_path / "span", articles=(1, 3))
    assert sorted(p.stem for p in corpus.iterdir()) == ["Beta", "Gamma_(letter)"]
    assert [r["id"] for r in rows(questions)] == ["Beta-0-0", "Gamma_(letter)-0-0"]
    corpus, questions = squad_to_corpus(squad, tmp_path / "held", holdout=1, seed=0, articles=(1, 3))
    assert len(list(corpus.iterdir())) == 1 and len(rows(questions)) == 2
    assert sum(not r["answers"] for r in rows(questions)) == 1
    with pytest.raises(ValueError, match=r"articles 2:9 are out of range.*STOP <= 4"):
        squad_to_corpus(squad, tmp_path / "bad", articles=(2, 9))


def test_squad_answer_starts_count_in_the_joined_article_text(tmp_path):
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({"data": [{"title": "T", "paragraphs": [
        {"context": "First part here.", "qas": []},
        {"context": "  Second part names Oslo.", "qas": [
            {"id": "q", "question": "Which city?", "answers": [{"text": "Oslo", "answer_start": 20}]}]}]}]}))
    article = squad_articles(path)["T"]
    start = article["qas"][0]["answers"][0]["answer_start"]
    assert article["text"][start:start + 4] == "Oslo"


def test_bad_holdout_and_non_squad_input_say_what_to_pass(tmp_path):
    squad = squad_json(tmp_path / "dev.json")
    with pytest.raises(ValueError, match=r"--holdout 4 is out of range.*hold out 0 to 3"):
        squad_to_corpus(squad, tmp_path / "out", holdout=4)
    other = write(tmp_path, {"x.json": '{"articles": []}'}) / "x.json"
    with pytest.raises(ValueError, match=r"x.json is not SQuAD v1.1 JSON.*dev-v1.1.json"):
        squad_to_corpus(other, tmp_path / "out2")


# The questions file

@pytest.mark.parametrize("line, message", [
    ("{not json", "not valid JSON"),
    ('["a list"]', "not a JSON object"),
    ('{"id": "q", "question": "Why?"}', "missing answers"),
    ('{"id": "q", "question": "  ", "answers": []}', "`question` must be non-empty text"),
    ('{"id": "q", "question": "Why?", "answers": "yes"}', "`answers` must be a list of non-empty strings"),
    ('{"id": "q", "question": "Why?", "answers": [], "as_of": "May 2026"}', "write it as YYYY-MM-DD"),
    ('{"id": "q", "question": "Why?", "answers": [], "kind": 5}', "`kind` must be a short label"),
    ('{"id": "q", "question": "Why?", "answers": [], "history": "Who?"}', "`history` must be a list"),
    ('{"id": "q0", "question": "Why?", "answers": []}', "id 'q0' is used twice"),
])
def test_a_bad_question_line_is_refused_with_file_line_and_fix(tmp_path, line, message):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "q0", "question": "Who?", "answers": ["Ann"]}\n\n' + line + "\n")
    with pytest.raises(QuestionsError) as caught:
        load_questions(path)
    assert str(caught.value).startswith(f"{path} line 3: ")
    assert message in str(caught.value)


def test_a_good_file_parses_every_field(tmp_path):
    path = write(tmp_path, {"q.jsonl": json.dumps({"id": 7, "question": "What did he say?", "answers": [],
                                                   "history": ["Who is the envoy?"], "as_of": "2026-03-01",
                                                   "article_id": "2026/x"}) + "\n"}) / "q.jsonl"
    (q,) = load_questions(path)
    assert (q.id, q.answers, q.history, q.as_of.isoformat(), q.article_id) == (
        "7", (), ("Who is the envoy?",), "2026-03-01", "2026/x")
    with pytest.raises(QuestionsError, match="holds no questions"):
        load_questions(write(tmp_path, {"empty.jsonl": "\n"}) / "empty.jsonl")


def test_unknown_fields_are_ignored_with_a_warning_naming_them(tmp_path, capsys):
    path = write(tmp_path, {"q.jsonl": '{"id": "a", "question": "Who?", "answers": ["Ann"], "artcle_id": "x"}\n'
                                       '{"id": "b", "question": "Why?", "answers": [], "artcle_id": "y", "note": 1}\n'}
                 ) / "q.jsonl"
    questions = load_questions(path)
    assert [q.id for q in questions] == ["a", "b"] and questions[0].article_id is None
    err = capsys.readouterr().err
    assert "ignored the unknown field `artcle_id` on 2 line(s) (first: line 1)" in err
    assert "ignored the unknown field `note` on 1 line(s) (first: line 2)" in err


def test_style_is_an_optional_label_read_without_a_warning(tmp_path, capsys):
    path = write(tmp_path, {"q.jsonl": '{"id": "a", "question": "Who runs it?", "answers": ["Ann"], "style": "needs-history"}\n'
                                       '{"id": "b", "question": "Why?", "answers": []}\n'}) / "q.jsonl"
    assert [q.style for q in load_questions(path)] == ["needs-history", None]
    assert "unknown field" not in capsys.readouterr().err
    bad = write(tmp_path, {"bad.jsonl": '{"id": "a", "question": "Who?", "answers": [], "style": 3}\n'}) / "bad.jsonl"
    with pytest.raises(QuestionsError, match="`style` must be a short label"):
        load_questions(bad)


def test_sample_is_reproducible_and_keeps_file_order(tmp_path):
    path = write(tmp_path, {"q.jsonl": "".join(
        json.dumps({"id": f"q{i}", "question": f"Question {i}?", "answers": []}) + "\n" for i in range(50))}) / "q.jsonl"
    questions = load_questions(path)
    first = [q.id for q in sample_questions(questions, 10, seed=1)]
    assert first == [q.id for q in sample_questions(questions, 10, seed=1)]
    assert len(first) == 10 and first == sorted(first, key=lambda i: int(i[1:]))
    assert first != [q.id for q in sample_questions(questions, 10, seed=2)]
    assert len(sample_questions(questions, None, 0)) == len(sample_questions(questions, 99, 0)) == 50


# The command, end to end with the model-free embedder

CORPUS = {
    "ferry.txt": article_txt("2026-01-05", "The harbour ferry now runs every twenty minutes.",
                             "Captain Mirela Osei said the new timetable starts on Monday."),
    "tram.txt": article_txt("2026-01-12", "The tram extension to Northgate cost 41 million euros.",
                            "Engineers finished the overhead wires in December."),
    "library.txt": article_txt("2026-02-02", "The central library reopened after a roof repair.",
                               "It now opens at eight in the morning on weekdays."),
}
QUESTIONS = [
    {"id": "q1", "question": "How often does the harbour ferry run?", "answers": ["every twenty minutes"],
     "article_id": "ferry"},
    {"id": "q2", "question": "How much did the tram extension to Northgate cost?", "answers": ["41 million euros"],
     "article_id": "tram"},
    {"id": "q3", "question": "When does the central library open on weekdays?", "answers": ["eight in the morning"],
     "article_id": "library", "history": ["Why was the library closed?"], "as_of": "2026-06-01"},
    {"id": "q4", "question": "Which volcano erupted near the observatory in Patagonia?", "answers": []},
]
METRICS = {"questions", "answerable", "unanswerable", "quotes", "passage_recall@1", "passage_recall@5",
           "passage_recall@10", "mrr", "article_recall@5", "answer_hit", "verbatim_rate", "abstain_precision",
           "abstain_recall", "abstain_auroc", "abstain_rate_answerable", "latency_p50_ms", "latency_p95_ms",
           "miss_wrong_sentence", "miss_article_missed", "miss_declined", "miss_uncovered_answered",
           "threshold_sweep", "setup"}


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def eval_args(tmp_path, questions=QUESTIONS):
    corpus = write(tmp_path / "c", CORPUS)
    path = write(tmp_path, {"q.jsonl": "".join(json.dumps(q) + "\n" for q in questions)}) / "q.jsonl"
    return ["eval", "--corpus", corpus, "--questions", path, "--index", tmp_path / "i", "--model", "hash:64",
            "--quiet"]


def test_eval_end_to_end_reports_every_metric_and_repeats_exactly(tmp_path, capsys):
    args = eval_args(tmp_path)
    code, out, _ = run(capsys, *args, "--json")
    assert code == 0
    first = json.loads(out)
    assert set(first) == METRICS
    assert (first["questions"], first["answerable"], first["unanswerable"]) == (4, 3, 1)
    assert first["verbatim_rate"] == 1.0 and first["quotes"] > 0
    assert first["passage_recall@10"] == 1.0  # three short articles: every passage is retrieved
    assert first["setup"]["model"] == "hash:64" and first["setup"]["generation"]
    code, out, _ = run(capsys, *args, "--json")
    again = json.loads(out)
    timing = {"latency_p50_ms", "latency_p95_ms"}
    assert {k: v for k, v in again.items() if k not in timing} == {k: v for k, v in first.items() if k not in timing}

    code, out, _ = run(capsys, *args)
    assert code == 0 and "verbatim_rate" in out and "passage_recall@5" in out and "threshold" in out


def test_eval_refuses_bad_lines_and_unknown_gold_articles_with_exit_2(tmp_path, capsys):
    args = eval_args(tmp_path, [{"id": "q1", "question": "Who?", "answers": "Ann"}])
    code, _, err = run(capsys, *args)
    assert code == 2 and "q.jsonl line 1: `answers` must be a list" in err
    args = eval_args(tmp_path, [{"id": "q1", "question": "Who?", "answers": ["Ann"], "article_id": "fery"}])
    code, _, err = run(capsys, *args)
    assert code == 2 and "names article_id 'fery', which is not in" in err and "correct the id" in err
    code, _, err = run(capsys, "eval", "--model", "hash:64")
    assert code == 2 and "pass --corpus DIR --questions FILE, or --squad FILE" in err


def test_eval_squad_with_holdout_measures_abstention(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(eval_command, "eval_dir", lambda: tmp_path / "eval")
    monkeypatch.setenv("FOOTNOTE_INDEX", str(tmp_path / "served"))  # eval must keep off the served index
    squad = squad_json(tmp_path / "dev.json")
    code, out, _ = run(capsys, "eval", "--squad", squad, "--holdout", 1, "--seed", 3, "--model", "hash:64",
                       "--json", "--quiet")
    assert code == 0
    result = json.loads(out)
    assert result["unanswerable"] >= 1 and result["answerable"] >= 1
    assert result["questions"] == 5 and result["abstain_auroc"] is not None and result["verbatim_rate"] in (1.0, None)
    assert (tmp_path / "eval" / "squad-1-3" / "questions.jsonl").is_file()
    assert result["setup"]["index"].startswith(str(tmp_path / "eval"))
    assert not (tmp_path / "served").exists()


def test_eval_squad_articles_keeps_to_its_span_and_is_refused_without_squad(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(eval_command, "eval_dir", lambda: tmp_path / "eval")
    squad = squad_json(tmp_path / "dev.json")
    code, out, _ = run(capsys, "eval", "--squad", squad, "--squad-articles", "2:4", "--model", "hash:64",
                       "--json", "--quiet")
    assert code == 0
    result = json.loads(out)
    assert result["questions"] == 2 and result["setup"]["squad_articles"] == [2, 4]
    assert (tmp_path / "eval" / "squad-2-4-0-0" / "questions.jsonl").is_file()
    code, _, err = run(capsys, *eval_args(tmp_path), "--squad-articles", "2:4")
    assert code == 2 and "pass it with --squad FILE" in err
    with pytest.raises(SystemExit):
        run(capsys, "eval", "--squad", squad, "--squad-articles", "two")
    assert "is not START:STOP" in capsys.readouterr().err


def test_eval_indexes_share_one_vector_cache_so_another_holdout_embeds_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(eval_command, "eval_dir", lambda: tmp_path / "eval")
    embedded = []

    class Counting(HashingEmbedder):
        def encode(self, texts):
            embedded.append(len(texts))
            return super().encode(texts)

    monkeypatch.setattr(eval_command, "load_embedder", lambda model, threads=None: Counting(64))
    monkeypatch.setattr(assemble, "load_embedder", lambda model, threads=None: Counting(64))
    squad = squad_json(tmp_path / "dev.json")
    assert run(capsys, "eval", "--squad", squad, "--model", "hash:64", "--quiet")[0] == 0
    assert (tmp_path / "eval" / "cache.sqlite").is_file()
    built = len(embedded)
    assert run(capsys, "eval", "--squad", squad, "--holdout", 2, "--model", "hash:64", "--quiet")[0] == 0
    indexes = [p for p in (tmp_path / "eval").iterdir() if p.is_dir() and not p.name.startswith("squad-")]
    assert len(indexes) == 2  # one index per corpus variant...
    assert embedded[built:] == [1] * (len(embedded) - built)  # ...and only the questions were encoded


def test_details_file_and_figures_by_kind(tmp_path, capsys):
    questions = [{**q, "kind": "followup" if q.get("history") else "answerable" if q["answers"] else "unanswerable"}
                 for q in QUESTIONS]
    questions[0]["style"] = "paraphrase"
    details = tmp_path / "details.jsonl"
    code, out, _ = run(capsys, *eval_args(tmp_path, questions), "--json", "--details", details)
    assert code == 0
    result = json.loads(out)
    assert set(result["by_kind"]) == {"answerable", "followup", "unanswerable"}
    assert result["by_kind"]["answerable"]["questions"] == 2 and result["by_kind"]["followup"]["questions"] == 1
    assert {k: v["questions"] for k, v in result["by_style"].items()} == {"(none)": 3, "paraphrase": 1}
    rows = [json.loads(line) for line in details.read_text().splitlines()]
    assert [r["style"] for r in rows] == ["paraphrase", None, None, None]
    assert [r["id"] for r in rows] == ["q1", "q2", "q3", "q4"]
    q2 = rows[1]
    assert q2["gold"] == {"answers": ["41 million euros"], "article_id": "tram"} and q2["retrieved"]
    assert isinstance(q2["hit"], bool) and q2["why"]
    if q2["hit"]:
        assert any("41 million euros" in quote["text"] for quote in q2["quotes"])
    assert rows[3]["why"].startswith(("correctly declined", "answered with confidence"))
    assert rows[3]["hit"] == rows[3]["abstained"]
    assert rows[2]["history"] == ["Why was the library closed?"] and rows[2]["as_of"] == "2026-06-01"
    code, out, _ = run(capsys, *eval_args(tmp_path, questions))
    assert "by kind:" in out and "followup" in out and "by style:" in out and "paraphrase" in out


def test_history_questions_are_answered_first_and_pass_their_citations_on(tmp_path):
    from index.answer import Answerer
    from index.search import LiveIndex, Retriever

    corpus = write(tmp_path / "c", CORPUS)
    emb = HashingEmbedder(64)
    build_index(corpus, tmp_path / "i", emb, progress=False)
    answerer = Answerer(Retriever(LiveIndex(tmp_path / "i", emb.name), emb), threshold=0.0)
    question = evaluate.Question("f", "And when did it start?", (), None,
                                 ("How often does the harbour ferry run?",), None, "followup")
    (turn,) = evaluate.conversation(answerer, question, per_article=3)
    assert turn.question == "How often does the harbour ferry run?" and turn.article_ids[0] == "ferry"
