"""Articles a curator adds by hand, through the web page or Discord: one set of rules
(corpus/additions.py), checked with the parsers `footnote index` uses before anything is written."""

from __future__ import annotations

import pytest

from corpus.additions import from_page, from_upload
from corpus.article import ArticleError
from corpus.folder import InvalidArticleId, UnsupportedFormat

DATED = ("<html><head><title>Tram trial starts</title><meta property=\"article:published_time\" content=\"2026-05-05\">"
         "</head><body><article><h1>Tram trial starts</h1><p>The harbour tram trial started on Monday with four "
         "cars running every ten minutes between the quay and the station, the operator said.</p></article></body></html>")
UNDATED = DATED.replace('<meta property="article:published_time" content="2026-05-05">', "")


def test_a_page_keeps_its_own_date_over_the_one_given():
    new = from_page("https://news.example/tram", DATED, "web", date="2026-01-01")
    [article] = new.articles
    assert new.relpath == "web/tram-trial-starts.md" and article.published[:10] == "2026-05-05"
    assert new.data.decode().startswith("---\ntitle: Tram trial starts\ndate: '2026-05-05'\n"
                                        "url: https://news.example/tram\n---\n\nThe harbour tram trial started")


def test_a_page_without_a_date_takes_the_curators_or_is_refused_with_the_fix():
    with pytest.raises(ArticleError, match=r"states no publication date .*give its date \(YYYY-MM-DD\)"):
        from_page("https://news.example/tram", UNDATED, "discord")
    new = from_page("https://news.example/tram", UNDATED, "discord", date="2026-04-30")
    assert new.articles[0].published[:10] == "2026-04-30" and new.file_id == "discord/tram-trial-starts"
    for bad in ("30/04/2026", "2026-13-45", "yesterday"):
        with pytest.raises(ArticleError, match="is not a day; give it as YYYY-MM-DD"):
            from_page("https://news.example/tram", UNDATED, "discord", date=bad)


def test_an_upload_is_parsed_as_the_index_would_and_named_after_its_file():
    new = from_upload("C:\\\\Users\\\\me\\\\Tram Trial!.md", b"---\ntitle: Tram\ndate: 2026-05-02\n---\nThe trial starts.\n",
                      "discord")
    assert new.relpath == "discord/tram-trial.md" and [a.title for a in new.articles] == ["Tram"]
    with pytest.raises(UnsupportedFormat, match=r"`notes.exe`: `.exe` is not an article format"):
        from_upload("notes.exe", b"MZ", "web")
    with pytest.raises(ArticleError, match="`bad.json` "):
        from_upload("bad.json", b"{not json", "web")
    with pytest.raises(InvalidArticleId):
        from_upload("ok.md", b"text", "web", file_id="../escape")
