"""A curator adds a feed of our own short news items, served on 127.0.0.1, and polls it: its new
article is answerable after that one command, with nothing else run. A broken feed beside it is
reported by the poll and by `footnote status`, with the fix."""

from __future__ import annotations

import json

import pytest

from index.cli import main
from tests.conftest import article_txt, write
from tests.feed_site import HTML, RSS, page, rss, serve_feeds

# Written for this test; no other article says any of it.
LIGHTHOUSE = page(
    "Cobble Bay lighthouse reopens to visitors",
    "The Cobble Bay lighthouse reopened to visitors on Saturday after an eighteen-month restoration that "
    "replaced its copper lantern roof.",
    "The harbour trust said the climb of 112 steps would be open from ten until four, Thursday to Sunday.",
    "Tickets cost six euros, and school groups visit free on weekday mornings.",
    date="2026-05-02")
DEPOT = page(
    "Tram depot vote postponed",
    "Councillors postponed a vote on the new tram depot at Wexley Fields until June, asking the transport "
    "office for a second noise survey.",
    "Residents had collected 900 signatures against night-time maintenance work at the site.",
    date="2026-05-03")
LIBRARY = article_txt("2026-04-20", "The Larchmont library will open on Sunday afternoons from May, the council "
                      "said, after a trial of longer weekend hours drew more readers than expected.")
QUESTION = "How many steps is the climb of the Cobble Bay lighthouse?"


@pytest.fixture
def cli(tmp_path, capsys, monkeypatch):
    """`footnote ...` in this process over a corpus and index in tmp_path: (exit code, stdout, stderr)."""
    monkeypatch.setenv("FOOTNOTE_FETCH_ALLOW_LOOPBACK", "1")  # the test setting: the site is on 127.0.0.1
    corpus = write(tmp_path / "corpus", {"library.txt": LIBRARY})
    where = ["--corpus", str(corpus), "--index", str(tmp_path / "index"), "--model", "hash:64", "--reader", "off"]

    def run(*argv: str) -> tuple[int, str, str]:
        code = main([*argv, *where])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def test_a_polled_feeds_new_article_answers_a_question_only_it_can(cli, tmp_path):
    routes: dict = {}
    with serve_feeds(routes) as (base, _):
        routes.update({
            "/news.xml": (200, RSS, rss(("Cobble Bay lighthouse reopens to visitors", f"{base}/lighthouse?utm_source=rss",
                                         "Sat, 02 May 2026 10:00:00 GMT"),
                                        ("Tram depot vote postponed", f"{base}/depot", "Sun, 03 May 2026 18:00:00 GMT"),
                                        title="Cobble Bay Courier")),
            "/lighthouse": (200, HTML, LIGHTHOUSE), "/depot": (200, HTML, DEPOT),
            "/broken.xml": (200, RSS, b"<rss><channel><<<"),
        })
        assert cli("index", "--quiet")[0] == 0
        code, out, _ = cli("ask", QUESTION, "--json")
        before = json.loads(out)
        assert all(not c["article_id"].startswith("feeds/") for c in before["citations"])

        assert cli("feeds", "add", f"{base}/news.xml", "--source", "Cobble Bay Courier", "--every", "30m")[0] == 0
        assert cli("feeds", "add", f"{base}/broken.xml", "--source", "Broken Gazette")[0] == 0
        code, out, _ = cli("feeds", "poll", "--json")
    polled = json.loads(out)
    assert code == 1  # the broken feed is a problem; the good one was still polled and indexed
    courier, broken = polled["feeds"]
    assert sorted(courier["new"]) == ["feeds/cobble-bay-courier/cobble-bay-lighthouse-reopens-to-visitors.md",
                                      "feeds/cobble-bay-courier/tram-depot-vote-postponed.md"]
    assert broken["status"] == "failed" and "is not a feed Footnote can read" in broken["error"]
    assert polled["index"]["added"] == 2

    code, out, _ = cli("ask", QUESTION, "--json")
    answer = json.loads(out)
    assert code == 0 and not answer["abstained"]
    cited = {c["n"]: c for c in answer["citations"]}
    first = cited[answer["quotes"][0]["n"]]
    assert first["article_id"] == "feeds/cobble-bay-courier/cobble-bay-lighthouse-reopens-to-visitors"
    assert any("112 steps" in q["text"] for q in answer["quotes"] if q["n"] == first["n"])
    assert first["source"] == "Cobble Bay Courier" and first["url"] == f"{base}/lighthouse"

    code, out, _ = cli("status")
    assert code == 0 and "feeds      2 in feeds.toml, 2 article(s) saved, 1 with problems:" in out
    assert "Broken Gazette: failed 1 time(s)" in out and "check the address points at the" in out
    code, out, _ = cli("status", "--json")
    rows = json.loads(out)["feeds"]["feeds"]
    assert [(r["source"], r["articles"], r["failures"]) for r in rows] == [("Cobble Bay Courier", 2, 0),
                                                                          ("Broken Gazette", 0, 1)]

    feeds_toml = tmp_path / "corpus" / "feeds.toml"
    feeds_toml.write_text(feeds_toml.read_text() + "[[feed]]\nurl = 'https://x.example/rss'\n")
    code, out, _ = cli("status")
    assert code == 0 and "feeds      cannot be read: " in out and "feed 3 has no `source`" in out
