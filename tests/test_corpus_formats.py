"""Each supported format parses into articles with the right ids, titles and dates."""

import json

import pytest

from corpus.article import ArticleError
from corpus.dates import normalise_date
from corpus.load import load_corpus
from tests.conftest import SHARED, write


def test_text_with_date_header_on_its_own_line(tmp_path):
    write(tmp_path, {"2026/geneva-talks.txt": "date 2026-02-26\n\nFirst sentence here. Second one.\n\nNext paragraph.\n"})
    [article] = load_corpus(tmp_path).articles
    assert article.id == "2026/geneva-talks"
    assert article.published == "2026-02-26"
    assert article.text == "First sentence here. Second one.\n\nNext paragraph."
    assert article.title == "First sentence here."
    assert article.title_source == "first_sentence"


def test_the_specification_example_whose_body_follows_the_date_on_one_line():
    example = SHARED / "examples"
    if not example.is_dir():
        pytest.skip("../shared/examples is absent")
    [article] = load_corpus(example).articles
    assert article.published == "2026-02-26"
    assert article.text.startswith("U.S. and Iranian officials gathered for talks in Geneva")
    assert article.title.startswith("U.S. and Iranian officials gathered")
    assert "date" not in article.text[:10]


def test_markdown_front_matter(tmp_path):
    write(tmp_path, {"talks.md": "---\ntitle: Talks resume\ndate: 2026-03-01\nurl: https://example.org/t\n"
                                 "source: Herald\nauthor: A. Writer\ntags: [iran, talks]\n---\n\nBody text here.\n"})
    [a] = load_corpus(tmp_path).articles
    assert (a.id, a.title, a.title_source, a.published) == ("talks", "Talks resume", "metadata", "2026-03-01")
    assert (a.url, a.source, a.author, a.tags) == ("https://example.org/t", "Herald", "A. Writer", ("iran", "talks"))
    assert a.text == "Body text here."


def test_html_main_text_and_metadata(tmp_path):
    page = """<html><head><title>Council backs tram | Herald</title>
    <meta name="author" content="Jane Roe">
    <meta property="article:published_time" content="2025-06-12T09:30:00+00:00">
    <meta property="og:site_name" content="Port Herald"><link rel="canonical" href="https://example.net/a"></head>
    <body><nav><a href="/">Home</a> <a href="/x">Sections</a></nav><article><h1>Council backs tram</h1>
    <p>The council voted nine to two on Tuesday to approve the line along the shore.</p>
    <p>The director said the line would open in the spring of 2026, if funding holds.</p>
    <p>Opponents promised to keep campaigning against the route through the park.</p></article>
    <footer>Copyright 2025 Port Herald. All rights reserved.</footer></body></html>"""
    write(tmp_path, {"news/tram.html": page})
    [a] = load_corpus(tmp_path).articles
    assert a.id == "news/tram"
    assert a.title == "Council backs tram"
    assert a.published == "2025-06-12"
    assert (a.author, a.source, a.url) == ("Jane Roe", "Port Herald", "https://example.net/a")
    assert a.text.startswith("The council voted nine to two")
    assert "Copyright" not in a.text and "Home" not in a.text
    assert "\n\n" in a.text  # paragraphs stay apart


def test_json_object_list_and_jsonl_records(tmp_path):
    record = {"title": "One", "date": "2026-01-02", "url": "https://e.org/1", "source": "Wire", "text": "Alpha beta."}
    write(tmp_path, {
        "single.json": json.dumps(record),
        "many.json": json.dumps([{**record, "id": "a"}, {**record, "id": "b", "title": None}]),
        "feed.jsonl": json.dumps({**record, "id": "x/../y"}) + "\n\n" + json.dumps({**record, "id": 7}) + "\n",
    })
    articles = {a.id: a for a in load_corpus(tmp_path).articles}
    assert set(articles) == {"single", "many/a", "many/b", "feed/x-..-y", "feed/7"}
    assert articles["single"].source == "Wire"
    assert articles["many/b"].title == "Alpha beta." and articles["many/b"].title_source == "first_sentence"


def test_record_without_id_is_numbered_by_position(tmp_path):
    write(tmp_path, {"feed.jsonl": '{"text": "First."}\n{"text": "Second."}\n'})
    assert [a.id for a in load_corpus(tmp_path).articles] == ["feed/1", "feed/2"]


@pytest.mark.parametrize("raw, iso", [
    ("2026-02-26", "2026-02-26"),
    ("26-FEB-1987 15:01:01.79", "1987-02-26T15:01:01"),
    ("1987-02-26T15:01:01", "1987-02-26T15:01:01"),
    ("March 3, 2026", "2026-03-03"),
    ("2025-06-12T09:30:00+00:00", "2025-06-12T09:30:00+00:00"),
    ("", None),
])
def test_dates_are_normalised_to_iso(raw, iso):
    assert normalise_date(raw) == iso


@pytest.mark.parametrize("raw", ["not a date", "sometime soon", "31/31/2026"])
def test_unreadable_dates_are_refused(raw):
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        normalise_date(raw)


def test_demo_collection_parses_in_all_four_formats():
    from tests.conftest import DEMO

    result = load_corpus(DEMO)
    assert result.skipped == []
    assert 12 <= len(result.articles) <= 20
    suffixes = {a.path.rsplit(".", 1)[1] for a in result.articles}
    assert {"txt", "md", "html", "json", "jsonl"} <= suffixes
    assert all(a.published for a in result.articles)


def test_parser_error_type_is_article_error(tmp_path):
    write(tmp_path, {"bad.json": "{"})
    [skipped] = load_corpus(tmp_path).skipped
    assert skipped.path == "bad.json" and "not valid JSON" in skipped.reason
    assert issubclass(ArticleError, ValueError)
