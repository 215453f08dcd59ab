"""The answer reader: its inputs, its card and checksums, `footnote train-reader` on a tiny sample
(to prove the command works, not to train), and a reader folder refusing damage."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from index.cli import main
from index.embed.tokens import load_tokenizer
from index.embed.transformer import DEFAULT_MODEL, model_path
from index.reader import Candidate, Limits, OnnxReader, PairEncoder, ReaderError, load_reader
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
    return PairEncoder(load_tokenizer(str(model_path(DEFAULT_MODEL) + "/tokenizer.json")), Limits(sentence=6, previous=3))


def decode(encoder, ids):
    return encoder.tokenizer.decode(list(ids), skip_special_tokens=False)


def test_pairs_read_question_history_sentence_then_context(encoder):
    ids, mask, types = encoder.encode("Who runs it?", ["Which company bought the mill?"],
                                      [Candidate("Ann Berg runs the mill.", "Mill sold", "The buyer was Rowan Oy.")])
    text = decode(encoder, ids[0][mask[0] == 1])
    # the previous sentence keeps its last 3 tokens ("o ##y ."), from a word's start: "oy."
    assert text == "[CLS] who runs it? [SEP] which company bought the mill? [SEP] ann berg runs the mill. [SEP] " \
                   "mill sold | oy. [SEP]"
    first_side = list(types[0]).index(1)
    assert decode(encoder, ids[0][:first_side]).endswith("the mill? [SEP]")  # asking side is type 0
    assert types[0][mask[0] == 1][-1] == 1


def test_long_parts_are_clipped_sentence_at_its_end_previous_at_its_start(encoder):
    ids, mask, _ = encoder.encode("When?", [], [
        Candidate("one two three four five six seven eight", "", "alpha beta gamma delta epsilon"),
        Candidate("short one", "", "")])
    first = decode(encoder, ids[0][mask[0] == 1])
    assert first == "[CLS] when? [SEP] one two three four five six [SEP] gamma delta epsilon [SEP]"
    assert decode(encoder, ids[1][mask[1] == 1]) == "[CLS] when? [SEP] short one [SEP] [SEP]"
    assert mask[1].sum() < mask.shape[1]  # the shorter row is padded, and its mask says so


def test_off_is_none_and_unknown_folders_are_refused_with_the_choices(tmp_path):
    assert load_reader("off") is None
    with pytest.raises(ReaderError, match=r"'/nowhere/reader' is not a folder; set FOOTNOTE_READER to bundled"):
        load_reader("/nowhere/reader")
    with pytest.raises(ReaderError, match=r"has no card.json"):
        load_reader(str(tmp_path))
    (tmp_path / "card.json").write_text('{"format": 99}')
    with pytest.raises(ReaderError, match=r"not a reader card of format 1"):
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
