"""`footnote gaps`: the table and the JSON over a real index and gap store, `--since`, `--guild`,
and `--all` once a rebuild has closed a gap."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from index.cli import main
from index.gaps import GapStore
from tests.conftest import make_corpus, make_index, write
from tests.test_gaps_core import CHESS, POOL, POOL_ARTICLE, ZOO

A = 111


@pytest.fixture
def kept(tmp_path):
    """An index, and a gap store beside it holding questions from the API, the web page and a server."""
    make_corpus(tmp_path / "corpus")
    make_index(tmp_path / "corpus", tmp_path / "index")
    store = GapStore.beside(tmp_path / "index")
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    store.record(POOL[0], "declined", "api", "000001", at=long_ago)
    store.record(POOL[1], "declined", "web", "000001")
    store.record(POOL[2], "declined", "discord", "000001", guild_id=A, answer_id=4)
    store.record(ZOO[0], "declined", "api", "000001")
    store.record(CHESS, "down", "discord", "000001", guild_id=A + 1, answer_id=5)
    store.close()
    return tmp_path


def gaps(tmp_path, capsys, *flags) -> str:
    code = main(["gaps", "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index"),
                 "--model", "hash:64", "--reader", "off", *flags])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_the_table_lists_gaps_most_asked_first_with_their_questions(kept, capsys):
    table = gaps(kept, capsys).splitlines()
    assert table[0].split() == ["asked", "last", "asked", "gap"]
    pool = next(i for i, line in enumerate(table) if line.lstrip().startswith("3 "))
    assert pool == 1 and any(q in table[1] for q in POOL)
    assert sum("also:" in line for line in table[2:4]) == 2 and "nearest:" in table[4]
    assert any(ZOO[0] in line for line in table) and any(CHESS in line for line in table)


def test_json_since_and_guild(kept, capsys):
    body = json.loads(gaps(kept, capsys, "--json"))
    assert [g["count"] for g in body["gaps"]] == [3, 1, 1]
    week = json.loads(gaps(kept, capsys, "--json", "--since", "7d"))
    assert [g["count"] for g in week["gaps"]] == [2, 1, 1]  # the month-old question is left out
    theirs = json.loads(gaps(kept, capsys, "--json", "--guild", str(A)))
    assert [[q["question"] for q in g["questions"]] for g in theirs["gaps"]] == [[POOL[2]]]


def test_all_shows_the_gap_a_new_article_closed(kept, capsys):
    write(kept / "corpus", {"2026/pool.md": POOL_ARTICLE})
    make_index(kept / "corpus", kept / "index")
    assert all(p not in gaps(kept, capsys) for p in POOL)
    table = gaps(kept, capsys, "--all")
    assert "[closed " in table and "by 2026/pool]" in table
    closed = [g for g in json.loads(gaps(kept, capsys, "--all", "--json"))["gaps"] if g["closed"]]
    assert [(g["count"], g["closed_by"]) for g in closed] == [(3, "2026/pool")]


def test_a_bad_since_names_the_forms(kept, capsys):
    assert main(["gaps", "--index", str(kept / "index"), "--model", "hash:64", "--since", "lately"]) == 2
    assert "write e.g. 7d, 24h, 2w or 2026-11-30" in capsys.readouterr().err
