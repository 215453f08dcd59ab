"""feeds.toml: read with errors that name the file, the feed and the fix; changed by
`footnote feeds add|remove` without losing the curator's comments; never read as an article.
And the address normalisation that keeps one file per story."""

from __future__ import annotations

import json

import pytest

from corpus.feeds import FeedsFileError, add_feed, check_feed, load_feeds, remove_feed
from corpus.feeds.urls import clean_url, normalise_url
from corpus.load import load_corpus
from index.cli import main
from tests.conftest import article_txt, write

GOOD = """# our feeds
[[feed]]
url = "https://quay.example/rss.xml"
source = "Quay Post"
every = "30m"

[[feed]]
url = "https://harbour.example/sitemap-news.xml"  # their news sitemap
source = "Harbour Times"
keep = "/news/"
"""


def test_a_good_file_gives_its_feeds_with_defaults(tmp_path):
    write(tmp_path, {"feeds.toml": GOOD})
    quay, harbour = load_feeds(tmp_path)
    assert (quay.url, quay.source, quay.every_s, quay.folder) == ("https://quay.example/rss.xml", "Quay Post",
                                                                  1800, "feeds/quay-post")
    assert harbour.every_s == 3600 and harbour.keeps("https://harbour.example/news/1") \
        and not harbour.keeps("https://harbour.example/sport/1")


@pytest.mark.parametrize("text, names", [
    ('[[feed]]\nurl = "https://a.example/rss"\nsource = "A\n', ["line 3", "feeds.toml"]),
    ('[[feed]]\nsource = "A"\n', ["feed 1 has no `url`", "url = "]),
    ('[[feed]]\nurl = "https://a.example/rss"\n', ["feed 1 has no `source`"]),
    ('[[feed]]\nurl = "ftp://a.example/rss"\nsource = "A"\n', ["feed 1", "https://"]),
    ('[[feed]]\nurl = "https://a.example/rss"\nsource = "A"\nevery = "10s"\n', ["every", "\"30m\""]),
    ('[[feed]]\nurl = "https://a.example/rss"\nsource = "A"\nevery = "1m"\n', ["impolite", "5m"]),
    ('[[feed]]\nurl = "https://a.example/rss"\nsource = "A"\nkeep = "(news"\n', ["keep", "regular expression"]),
    ('[[feed]]\nurl = "https://a.example/rss"\nsource = "A"\nevry = "1h"\n', ["unknown key 'evry'"]),
    ('[[feed]]\nurl = "https://a.example/rss"\nsource = 3\n', ["`source` must be a quoted string"]),
    ('[feeds]\nurl = "https://a.example/rss"\n', ["unknown table or key 'feeds'", "[[feed]]"]),
    ('[[feed]]\nurl = "https://a.example/rss"\nsource = "A"\n[[feed]]\nurl = "https://a.example/rss"\nsource = "B"\n',
     ["feed 2", "same address"]),
    ('[[feed]]\nurl = "https://a.example/rss"\nsource = "Quay Post"\n[[feed]]\nurl = "https://b.example/rss"\n'
     'source = "quay post"\n', ["feed 2", "folder feeds/quay-post"]),
])
def test_mistakes_name_the_file_the_feed_and_the_fix(tmp_path, text, names):
    write(tmp_path, {"feeds.toml": text})
    with pytest.raises(FeedsFileError) as caught:
        load_feeds(tmp_path)
    for name in names:
        assert name in str(caught.value), str(caught.value)


def test_no_file_is_no_feeds(tmp_path):
    assert load_feeds(tmp_path) == []


def test_add_and_remove_keep_the_curators_comments(tmp_path):
    write(tmp_path, {"feeds.toml": GOOD})
    add_feed(tmp_path, check_feed("https://pier.example/atom", "Pier Weekly", "2h"))
    text = (tmp_path / "feeds.toml").read_text()
    assert "# our feeds" in text and "# their news sitemap" in text
    assert [f.source for f in load_feeds(tmp_path)] == ["Quay Post", "Harbour Times", "Pier Weekly"]
    with pytest.raises(FeedsFileError, match="its address"):
        add_feed(tmp_path, check_feed("https://pier.example/atom", "Other"))
    assert remove_feed(tmp_path, "harbour times").url == "https://harbour.example/sitemap-news.xml"
    assert [f.source for f in load_feeds(tmp_path)] == ["Quay Post", "Pier Weekly"]
    assert "# our feeds" in (tmp_path / "feeds.toml").read_text()
    with pytest.raises(FeedsFileError, match="no feed 'Nope'.*Quay Post, Pier Weekly"):
        remove_feed(tmp_path, "Nope")


def test_the_cli_adds_lists_and_removes(tmp_path, capsys):
    corpus = tmp_path / "c"
    corpus.mkdir()
    assert main(["feeds", "add", "https://quay.example/rss.xml", "--source", "Quay Post", "--every", "2h",
                 "--corpus", str(corpus)]) == 0
    assert main(["feeds", "list", "--json", "--corpus", str(corpus)]) == 0
    [row] = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (row["url"], row["every"], row["last_poll"], row["articles"]) == ("https://quay.example/rss.xml", "2h",
                                                                              None, 0)
    assert main(["feeds", "add", "https://x.example/rss", "--source", "X", "--every", "2s",
                 "--corpus", str(corpus)]) == 2
    assert "\"30m\"" in capsys.readouterr().err
    assert main(["feeds", "list", "--corpus", str(corpus)]) == 0
    assert "Quay Post" in capsys.readouterr().out
    assert main(["feeds", "remove", "Quay Post", "--corpus", str(corpus)]) == 0
    assert main(["feeds", "remove", "Quay Post", "--corpus", str(corpus)]) == 2
    assert "no feed 'Quay Post'" in capsys.readouterr().err
    assert main(["feeds", "poll", "--corpus", str(corpus)]) == 0
    assert "no feeds to poll; add one with `footnote feeds add" in capsys.readouterr().out


def test_feeds_toml_and_the_poll_state_are_not_articles_but_feed_pages_are(tmp_path):
    write(tmp_path, {"feeds.toml": GOOD, ".feeds-state.json": "{}", "notes/feeds.toml": "x",
                     "feeds/quay-post/ferry.md": "---\ndate: 2026-05-04\ntitle: Ferry\n---\n\nThe ferry leaves at seven.\n",
                     "a.txt": article_txt("2026-01-01", "An article.")})
    result = load_corpus(tmp_path)
    assert sorted(a.id for a in result.articles) == ["a", "feeds/quay-post/ferry"]
    assert [s.path for s in result.skipped] == ["notes/feeds.toml"]  # only the top-level one is the feed list


@pytest.mark.parametrize("a, b", [
    ("https://News.Example/story?utm_source=rss&utm_medium=feed", "http://news.example/story"),
    ("https://news.example/story#comments", "https://news.example:443/story"),
    ("https://news.example/story?b=2&a=1&fbclid=xyz", "https://news.example/story?a=1&b=2"),
])
def test_the_same_story_has_one_address(a, b):
    assert normalise_url(a) == normalise_url(b)


def test_different_stories_keep_different_addresses():
    assert normalise_url("https://news.example/story?id=1") != normalise_url("https://news.example/story?id=2")
    assert normalise_url("https://news.example/a") != normalise_url("https://news.example/b")
    assert clean_url("https://news.example/a?utm_campaign=x&id=3#top") == "https://news.example/a?id=3"


def test_the_shared_flags_work_before_and_after_the_action(tmp_path):
    """argparse copies a subcommand's defaults over its parent's values: `feeds --corpus X list`
    must not quietly list the default corpus's feeds."""
    from index.cli import build_parser

    parser = build_parser()
    for argv in (["feeds", "--corpus", str(tmp_path), "list"], ["feeds", "list", "--corpus", str(tmp_path)]):
        assert parser.parse_args(argv).corpus == tmp_path, argv
    assert parser.parse_args(["feeds", "--model", "hash:8", "poll", "--index", str(tmp_path)]).model == "hash:8"
