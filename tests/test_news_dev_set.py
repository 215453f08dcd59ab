"""The news dev set (docs/news-dev): well-formed questions whose gold answers stand verbatim in
their gold Reuters articles, a collection built by its documented rule, and the corpus builder
(bench/news_corpus.py)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

import pytest

from corpus.load import load_corpus

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
REUTERS = DATA / "reuters-21578" / "reuters21578.jsonl"
SET = ROOT / "docs" / "news-dev"
QUESTIONS = SET / "questions.jsonl"
ARTICLES = SET / "articles.txt"

MINIMUM = {"answerable": 160, "unanswerable": 70, "followup": 60, "as_of": 25}
FIELDS = {"id", "kind", "question", "answers", "article_id", "history", "as_of", "style"}
# the optional `style` says how a question was written, so its share can be reported apart
STYLE_KIND = {"paraphrase": "answerable", "needs-history": "followup", "near-miss": "unanswerable"}
STYLE_MINIMUM = {"paraphrase": 45, "needs-history": 25, "near-miss": 30}
ARTICLE_ID = re.compile(r"reuters/([1-9][0-9]*)")
TICKER = re.compile(r"<([A-Z][A-Z.]*)>")
NEIGHBOURS, TICKER_DAYS = 4, 7  # the distractor rule written at the top of articles.txt


def _load_builder():
    spec = importlib.util.spec_from_file_location("news_corpus", ROOT / "bench" / "news_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


news_corpus = _load_builder()


@lru_cache(maxsize=1)
def questions() -> tuple[dict, ...]:
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line.strip())


def gold_newid(question: dict) -> int:
    return int(ARTICLE_ID.fullmatch(question["article_id"]).group(1))


@lru_cache(maxsize=1)
def _reuters() -> dict[int, dict] | None:
    if not REUTERS.is_file():
        return None
    with open(REUTERS, encoding="utf-8") as handle:
        return {record["newid"]: record for record in map(json.loads, handle)}


def reuters() -> dict[int, dict]:
    records = _reuters()
    if records is None:
        pytest.skip(f"{REUTERS} is not here (../shared/data is absent)")
    return records


def seconds(record: dict) -> float:
    """The wire timestamp as seconds, naive (no time zone, no daylight saving)."""
    return (dt.datetime.fromisoformat(record["date_iso"]) - dt.datetime(1987, 1, 1)).total_seconds()


# --- the questions file on its own -------------------------------------------------------

def test_every_line_is_a_question_with_the_expected_fields():
    assert questions(), "questions.jsonl is empty"
    for q in questions():
        assert set(q) <= FIELDS, (q.get("id"), set(q) - FIELDS)
        assert isinstance(q["id"], str) and q["id"], q
        assert isinstance(q["question"], str) and q["question"].strip(), q["id"]
        assert q["kind"] in MINIMUM, (q["id"], q["kind"])
        assert isinstance(q["answers"], list), q["id"]
        assert all(isinstance(a, str) and a.strip() and "\n" not in a for a in q["answers"]), q["id"]
        if q["kind"] == "unanswerable":
            assert q["answers"] == [] and "article_id" not in q, q["id"]
        else:
            assert q["answers"], f"{q['id']}: a {q['kind']} question needs gold answers"
            assert ARTICLE_ID.fullmatch(q.get("article_id", "")), q["id"]
        assert ("history" in q) == (q["kind"] == "followup"), q["id"]
        assert ("as_of" in q) == (q["kind"] == "as_of"), q["id"]
        if "as_of" in q:
            dt.date.fromisoformat(q["as_of"])
        if "style" in q:
            assert STYLE_KIND.get(q["style"]) == q["kind"], (q["id"], q["style"], q["kind"])


def test_ids_are_unique():
    counts = Counter(q["id"] for q in questions())
    assert not [i for i, n in counts.items() if n > 1]


def test_every_kind_reaches_its_minimum_count():
    counts = Counter(q["kind"] for q in questions())
    for kind, minimum in MINIMUM.items():
        assert counts[kind] >= minimum, (kind, counts[kind])
    assert len(questions()) >= 330
    styles = Counter(q.get("style") for q in questions())
    for style, minimum in STYLE_MINIMUM.items():
        assert styles[style] >= minimum, (style, styles[style])


def test_followups_have_one_or_two_earlier_turns_with_other_answers():
    asked = {q["question"]: q for q in questions() if q["kind"] != "unanswerable"}
    for q in (q for q in questions() if q["kind"] == "followup"):
        history = q["history"]
        assert isinstance(history, list) and 1 <= len(history) <= 2, q["id"]
        assert all(isinstance(h, str) and h.strip() and h != q["question"] for h in history), q["id"]
        assert all(h in asked for h in history), f"{q['id']}: every earlier turn is itself a question of the set"
        for turn in history:  # quoting an earlier turn's answer must not count as a hit
            earlier = asked.get(turn, {}).get("answers", [])
            assert not any(a in b or b in a for a in earlier for b in q["answers"]), (q["id"], turn)


def test_as_of_questions_come_in_series_whose_answer_changes():
    series = defaultdict(list)
    for q in (q for q in questions() if q["kind"] == "as_of"):
        series[re.sub(r"-\d+$", "", q["id"])].append(q)
    changing = 0
    for name, members in series.items():
        members.sort(key=lambda q: q["as_of"])
        if len(members) < 2:
            continue
        assert len({q["as_of"] for q in members}) == len(members), name
        assert len({q["article_id"] for q in members}) == len(members), name
        changing += all(set(a["answers"]) != set(b["answers"]) for a, b in zip(members, members[1:]))
    assert changing >= 10, f"only {changing} as_of series with a changing answer"
    dated_in_text = [q for q in questions() if q["kind"] == "as_of" and "1987" in q["question"]]
    assert len(dated_in_text) >= 5


# --- the collection --------------------------------------------------------------------

def test_articles_list_is_unique_and_holds_every_gold_article():
    lines = [line.split("#", 1)[0].strip() for line in ARTICLES.read_text(encoding="utf-8").splitlines()]
    ids = [int(text) for text in lines if text]
    assert len(ids) == len(set(ids)) == len(news_corpus.read_ids(ARTICLES))
    assert 600 <= len(ids) <= 900, len(ids)
    missing = {q["article_id"] for q in questions() if "article_id" in q and gold_newid(q) not in set(ids)}
    assert not missing


def test_gold_answers_occur_verbatim_in_the_gold_article_body():
    records = reuters()
    for q in (q for q in questions() if q["answers"]):
        body = records[gold_newid(q)]["body"]
        for answer in q["answers"]:
            assert answer in body, (q["id"], answer)


def test_as_of_is_on_or_after_the_gold_article_date():
    records = reuters()
    for q in (q for q in questions() if q["kind"] == "as_of"):
        assert records[gold_newid(q)]["date_iso"][:10] <= q["as_of"], q["id"]


def test_listed_articles_exist_with_title_body_and_date():
    records = reuters()
    for newid in news_corpus.read_ids(ARTICLES):
        record = records.get(newid)
        assert record and record["title"] and record["body"].strip() and record["date_iso"], newid


def documented_collection(records: dict[int, dict], gold: set[int]) -> set[int]:
    """The NEWIDs the rule at the top of articles.txt gives for these question articles: the
    articles themselves, their topic neighbours and their company neighbours."""
    pool, seen = [], set()
    for newid in sorted(records):
        r = records[newid]
        if r["text_type"] != "NORM" or not (r.get("body") and r.get("date_iso") and r.get("title")):
            continue
        keys = {" ".join(r["body"].split()), (r["title"].strip(), r["date_iso"][:10])}
        if not keys & seen:
            pool.append(r)
            seen |= keys
    when = {r["newid"]: seconds(r) for r in pool}
    tickers = {r["newid"]: set(TICKER.findall(r["title"])) for r in pool}
    by_label = defaultdict(set)  # (field, label) -> pool NEWIDs
    for r in pool:
        for field in ("topics", "places"):
            for label in r[field]:
                by_label[field, label].add(r["newid"])
    expected = set(gold)
    for newid in gold:
        g, at = records[newid], seconds(records[newid])
        field = "topics" if g["topics"] else "places"
        sharing = set().union(*(by_label[field, label] for label in g[field])) - {newid}
        near = sorted((abs(when[n] - at), n) for n in sharing)
        expected |= {n for _, n in near[:NEIGHBOURS]}
        own = set(TICKER.findall(g["title"]))
        expected |= {n for n in when if own & tickers[n] and abs(when[n] - at) <= TICKER_DAYS * 86400}
    return expected


def articles_text(records: dict[int, dict], gold: set[int]) -> str:
    """articles.txt written anew for these question articles: the header with its rule and
    counts (kept from the file), the question articles, then the distractors."""
    header = ARTICLES.read_text(encoding="utf-8").split("# Articles the questions are about")[0]
    distractors = documented_collection(records, gold) - gold
    header = re.sub(r"# \d+ question articles \+ \d+ distractors = \d+ articles\.",
                    f"# {len(gold)} question articles + {len(distractors)} distractors = "
                    f"{len(gold) + len(distractors)} articles.", header)
    return (header + "# Articles the questions are about\n" + "".join(f"{n}\n" for n in sorted(gold))
            + "\n# Distractors\n" + "".join(f"{n}\n" for n in sorted(distractors)))


def test_articles_list_is_the_documented_rule_applied_to_the_gold_articles():
    records = reuters()
    gold = {gold_newid(q) for q in questions() if "article_id" in q}
    assert set(news_corpus.read_ids(ARTICLES)) == documented_collection(records, gold)
    assert ARTICLES.read_text(encoding="utf-8") == articles_text(records, gold), (
        "regenerate the list: python tests/test_news_dev_set.py --write-articles")


# --- bench/news_corpus.py --------------------------------------------------------------

RECORDS = [
    {"newid": 7, "date_iso": "1987-03-02T10:00:00", "title": "GRAIN SHIPS WAIT", "text_type": "NORM",
     "body": "Ships waited at Rouen.\n    Loading resumed on March 3.\n"},
    {"newid": 8, "date_iso": "1987-03-03T11:30:00", "title": "COCOA <XYZ> RISES", "text_type": "NORM",
     "body": "Cocoa rose 20 stg a tonne."},
    {"newid": 9, "date_iso": None, "title": "NO DATE", "text_type": "BRIEF", "body": ""},
]


def fake_inputs(tmp_path: Path, ids: str = "# two of them\n7\n8  # cocoa\n") -> tuple[Path, Path, Path]:
    data = tmp_path / "reuters.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    articles = tmp_path / "articles.txt"
    articles.write_text(ids, encoding="utf-8")
    return data, articles, tmp_path / "eval" / "corpus"


def test_builder_writes_one_json_article_per_listed_newid(tmp_path):
    data, articles, out = fake_inputs(tmp_path)
    assert news_corpus.main(["--data", str(data), "--articles", str(articles), "--out", str(out)]) == 0
    assert sorted(p.name for p in (out / "reuters").iterdir()) == ["7.json", "8.json"]
    written = json.loads((out / "reuters" / "8.json").read_text(encoding="utf-8"))
    assert written == {"title": "COCOA <XYZ> RISES", "date": "1987-03-03T11:30:00",
                       "source": "Reuters", "text": "Cocoa rose 20 stg a tonne."}
    loaded = load_corpus(out)  # what Footnote itself makes of the folder
    assert not loaded.skipped
    assert {a.id: a.text for a in loaded.articles} == {
        "reuters/7": RECORDS[0]["body"].strip(), "reuters/8": RECORDS[1]["body"]}
    assert [p.name for p in out.parent.iterdir()] == ["corpus"]  # no build folder left behind


def test_builder_reuses_an_up_to_date_folder_and_rebuilds_when_the_list_changes(tmp_path):
    data, articles, out = fake_inputs(tmp_path)
    assert news_corpus.build_corpus(data, articles, out).startswith("wrote 2")
    first = (out / "reuters" / "7.json").stat().st_mtime_ns
    assert news_corpus.build_corpus(data, articles, out).startswith("up to date")
    assert (out / "reuters" / "7.json").stat().st_mtime_ns == first
    articles.write_text("8\n", encoding="utf-8")
    assert news_corpus.build_corpus(data, articles, out).startswith("wrote 1")
    assert sorted(p.name for p in (out / "reuters").iterdir()) == ["8.json"]


def test_builder_refuses_an_unknown_newid_and_keeps_the_previous_folder(tmp_path):
    data, articles, out = fake_inputs(tmp_path)
    news_corpus.build_corpus(data, articles, out)
    articles.write_text("7\n12345\n", encoding="utf-8")
    assert news_corpus.main(["--data", str(data), "--articles", str(articles), "--out", str(out)]) == 2
    assert sorted(p.name for p in (out / "reuters").iterdir()) == ["7.json", "8.json"]
    assert [p.name for p in out.parent.iterdir()] == ["corpus"]
    articles.write_text("9\n", encoding="utf-8")  # a record without body or date
    with pytest.raises(ValueError, match="no body or no date"):
        news_corpus.build_corpus(data, articles, out)


def test_builder_skips_cleanly_without_the_data_file(tmp_path, capsys):
    _, articles, out = fake_inputs(tmp_path)
    code = news_corpus.main(["--data", str(tmp_path / "absent.jsonl"), "--articles", str(articles),
                             "--out", str(out)])
    assert code == 0 and not out.exists()
    assert "not found" in capsys.readouterr().out


def test_builder_on_real_data_gives_gold_articles_their_reuters_ids(tmp_path):
    reuters()  # skips without ../shared/data
    asked = [q for q in questions() if q["kind"] == "answerable"][:3]
    articles = tmp_path / "articles.txt"
    articles.write_text("".join(f"{gold_newid(q)}\n" for q in asked), encoding="utf-8")
    out = tmp_path / "corpus"
    news_corpus.build_corpus(REUTERS, articles, out)
    texts = {a.id: a.text for a in load_corpus(out).articles}
    for q in asked:
        assert any(answer in texts[q["article_id"]] for answer in q["answers"]), q["id"]


if __name__ == "__main__":  # python tests/test_news_dev_set.py --write-articles
    import sys

    if sys.argv[1:] != ["--write-articles"]:
        sys.exit("usage: python tests/test_news_dev_set.py --write-articles  (rewrites docs/news-dev/articles.txt)")
    records = _reuters()
    if records is None:
        sys.exit(f"{REUTERS} is not here")
    ARTICLES.write_text(articles_text(records, {gold_newid(q) for q in questions() if "article_id" in q}),
                        encoding="utf-8")
    print(f"wrote {ARTICLES}: {len(news_corpus.read_ids(ARTICLES))} articles")
