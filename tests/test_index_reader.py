"""The answer reader: its inputs, its card and checksums, `footnote train-reader` on a tiny sample
(to prove the command works, not to train), and a reader folder refusing damage."""

from __future__ import annotations

import json
import random
import shutil

import numpy as np
import pytest

from index.cli import main
from index.embed.tokens import load_tokenizer
from index.embed.transformer import DEFAULT_MODEL, model_path
from index.reader import Candidate, Limits, ListEncoder, OnnxReader, ReaderError, load_reader
from index.reader.augment import names_in, swap
from index.reader.inputs import MAX_TOKENS
from index.reader.model import read_card

ARTICLES = [
    ("Harbour_Ferry", [
        "The harbour ferry first sailed in 1911. It carried forty passengers on each crossing. "
        "Its captain, Ilse Brand, kept a log of every storm.",
        "In 1958 the ferry was replaced by a steel boat built in Turku. The new boat could carry ninety people."]),
    ("Glass_Museum", [
        "The glass museum opened its doors in 1987. Its founder was the chemist Oskar Lind. "
        "The collection holds twelve thousand pieces.",
        "A fire in 2003 closed the east wing for two years. Repairs cost four million crowns."]),
    ("Mountain_Railway", [
        "The mountain railway climbs 1,400 metres over nine kilometres. Trains leave every half hour. "
        "The line was electrified in 1925.",
        "Snow closes the upper station from December to March. Engineer Maria Olsen designed the tunnels."]),
]
QUESTIONS = {
    "Harbour_Ferry": [("When did the harbour ferry first sail?", "1911"), ("Who kept a log of storms?", "Ilse Brand"),
                      ("Where was the steel boat built?", "Turku"), ("How many people could the new boat carry?", "ninety")],
    "Glass_Museum": [("Who founded the glass museum?", "Oskar Lind"), ("When did the museum open?", "1987"),
                     ("How much did the repairs cost?", "four million crowns"), ("When was the fire?", "2003")],
    "Mountain_Railway": [("How high does the railway climb?", "1,400 metres"), ("When was the line electrified?", "1925"),
                         ("Who designed the tunnels?", "Maria Olsen"), ("How often do trains leave?", "every half hour")],
}


def write_squad(path):
    data = []
    for title, paragraphs in ARTICLES:
        rows = []
        for context in paragraphs:
            qas = [{"id": f"{title}-{n}", "question": q, "answers": [{"text": a, "answer_start": context.find(a)}]}
                   for n, (q, a) in enumerate(QUESTIONS[title]) if a in context]
            rows.append({"context": context, "qas": qas})
        data.append({"title": title, "paragraphs": rows})
    path.write_text(json.dumps({"version": "1.1", "data": data}))
    return path


@pytest.fixture(scope="module")
def encoder():
    return ListEncoder(load_tokenizer(str(model_path(DEFAULT_MODEL) + "/tokenizer.json")), Limits(sentence=6, previous=3))


def decode(encoder, ids):
    return encoder.tokenizer.decode(list(ids), skip_special_tokens=False)


def test_candidates_are_read_together_by_article_in_the_articles_order(encoder):
    mill = [Candidate("Ann Berg runs the mill.", "Mill sold", "The buyer was Rowan Oy.", "a", 60, 83),
            Candidate("It employs ninety people.", "Mill sold", "", "a", 84, 109),
            Candidate("The port reopened.", "Port news", "", "b", 0, 18),
            Candidate("The sale closed in May.", "Mill sold", "", "a", 10, 33)]
    ids, mask, types, pool = encoder.encode("Who runs it?", ["Which company bought the mill?"], mill)
    assert decode(encoder, ids[0]) == (
        "[CLS] who runs it? [SEP] which company bought the mill? [SEP] mill sold | the sale closed in may. [SEP]"
        "... ann berg runs the mill. [SEP] it employs ninety people. [SEP] port news | the port reopened. [SEP]")
    assert mask.all() and ids.shape == mask.shape == types.shape
    first_article = decode(encoder, ids[0][types[0] == 1]).split(" [SEP]")[0]
    assert first_article == "mill sold | the sale closed in may."  # the asking side is type 0
    assert pool.shape == (1, 4, ids.shape[1])
    for k, c in enumerate(mill):  # each row of `pool` averages exactly its candidate's tokens
        row = pool[0, k]
        assert row.sum() == pytest.approx(1.0)
        assert decode(encoder, ids[0][row > 0]) == c.sentence.lower()


def test_long_sentences_are_clipped_at_their_end_and_the_previous_words_kept(encoder):
    ids, _, _, pool = encoder.encode("When?", [], [
        Candidate("one two three four five six seven eight", "", "alpha beta gamma delta epsilon", "x", 50, 90)])
    assert decode(encoder, ids[0]) == "[CLS] when? [SEP]... gamma delta epsilon one two three four five six [SEP]"
    assert decode(encoder, ids[0][pool[0, 0] > 0]) == "one two three four five six"


def test_many_candidates_stay_within_the_models_positions():
    encoder = ListEncoder(load_tokenizer(str(model_path(DEFAULT_MODEL) + "/tokenizer.json")))
    long = " ".join(["word"] * 80)
    many = [Candidate(long, "Title", "", f"a{n}", 0, 400) for n in range(12)]
    ids, _, _, pool = encoder.encode("What happened?", [], many)
    assert ids.shape[1] <= MAX_TOKENS and (pool.sum(axis=2) > 0.99).all()  # every candidate still read


def test_off_is_none_and_unknown_folders_are_refused_with_the_choices(tmp_path):
    assert load_reader("off") is None
    with pytest.raises(ReaderError, match=r"'/nowhere/reader' is not a folder; set FOOTNOTE_READER to bundled"):
        load_reader("/nowhere/reader")
    with pytest.raises(ReaderError, match=r"has no card.json"):
        load_reader(str(tmp_path))
    (tmp_path / "card.json").write_text('{"format": 99}')
    with pytest.raises(ReaderError, match=r"not a reader card of format 2"):
        read_card(tmp_path)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A reader trained by the real command on a tiny sample (seconds, not a useful model)."""
    tmp = tmp_path_factory.mktemp("reader")
    squad = write_squad(tmp / "squad.json")
    code = main(["train-reader", "--squad", str(squad), "--work", str(tmp / "work"), "--out", str(tmp / "out"),
                 "--articles", "3", "--valid-articles", "1", "--epochs", "1", "--model", "hash:64", "--quiet"])
    assert code == 0
    return tmp


def test_train_reader_writes_a_checked_reader_folder_that_scores(trained):
    out = trained / "out"
    card = json.loads((out / "card.json").read_text())
    assert sorted(p.name for p in out.iterdir()) == ["MODEL_CARD.md", "card.json", "reader.onnx", "tokenizer.json"]
    assert card["training"]["data"]["articles"] == "SQuAD v1.1 dev, articles 0:3 in file order"
    assert card["training"]["questions"] > 0 and card["figures"]["int8"]["questions"] > 0
    assert "sha256" in (out / "MODEL_CARD.md").read_text() and "train-reader" in (out / "MODEL_CARD.md").read_text()
    reader = load_reader(str(out))
    p = reader.score("Who founded the glass museum?", [], [Candidate("Its founder was the chemist Oskar Lind."),
                                                           Candidate("The collection holds twelve thousand pieces.")])
    assert p.shape == (2,) and np.all((p > 0) & (p < 1))
    assert reader.score("Who?", [], []).shape == (0,)
    # the examples name the split: the last article validates, the others train
    valid = [json.loads(line) for line in (trained / "work" / "valid.jsonl").read_text().splitlines()]
    assert valid and {r["article_id"] for r in valid} == {"Mountain_Railway"}


def test_a_damaged_or_missing_reader_file_is_refused_with_the_fix(trained, tmp_path):
    copy = tmp_path / "reader"
    shutil.copytree(trained / "out", copy)
    data = bytearray((copy / "reader.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "reader.onnx").write_bytes(bytes(data))
    with pytest.raises(ReaderError, match=r"reader.onnx is damaged: its sha256 is .* restore the file .*train-reader"):
        load_reader(str(copy))
    shutil.copyfile(trained / "out" / "reader.onnx", copy / "reader.onnx")
    assert load_reader(str(copy)) is not None  # restored: it loads again
    (copy / "tokenizer.json").unlink()
    with pytest.raises(ReaderError, match=r"tokenizer.json is missing"):
        OnnxReader(copy).load()


def test_train_reader_refuses_the_held_out_articles_and_a_missing_squad(tmp_path, capsys):
    assert main(["train-reader", "--articles", "40", "--work", str(tmp_path)]) == 2
    assert "at most SQuAD's first 32 articles" in capsys.readouterr().err
    assert main(["train-reader", "--squad", str(tmp_path / "none.json"), "--work", str(tmp_path)]) == 2
    assert "pass --squad FILE" in capsys.readouterr().err


def test_names_are_found_whole_and_word_by_word_without_question_words():
    assert names_in("What did Texaco Canada pay for the Dome Petroleum stake in March?") == [
        "Texaco Canada", "Texaco", "Canada", "Dome Petroleum", "Dome", "Petroleum"]
    assert names_in("Who leads the Bank of England?") == ["Bank of England", "Bank", "England"]


def test_a_swapped_copy_no_longer_names_what_the_question_pins_down():
    rng = random.Random(0)
    sentence = "Richard Brinkman, Texaco's chief financial officer, said the company would pay."
    swapped = swap("Who is Texaco's chief financial officer?", sentence, ["Dome Petroleum", "Gulf Canada"], rng)
    assert swapped is not None and "Texaco" not in swapped and ("Dome Petroleum" in swapped or "Gulf Canada" in swapped)
    year = swap("What did it earn in 1986?", "It earned 12 mln dlrs in 1986, up from 1985.", [], rng)
    assert year is not None and "1986" not in year and "1985" in year
    assert swap("What did it earn?", sentence, ["Dome"], rng) is None  # nothing pinned down to change
