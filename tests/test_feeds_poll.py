"""Polling feeds served on 127.0.0.1 into the corpus folder: entries become Markdown with front
matter, nothing comes twice, an updated article keeps its file, conditional GET and robots.txt
are honoured, and a bad entry is reported without holding up the others."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import frontmatter
import pytest

from corpus.feeds import Poller, add_feed, check_feed, load_feeds, remove_feed
from corpus.feeds.parse import parse_feed
from corpus.feeds.polite import PoliteFetcher
from corpus.fetch import Fetched
from tests.feed_site import HTML, RSS, page, rss, serve_feeds

ONLY_LOOPBACK = "127.0.0.1".__eq__
MAY_4, MAY_5 = "Mon, 04 May 2026 08:00:00 GMT", "Tue, 05 May 2026 09:30:00 GMT"
FERRY = page("Ferry timetable changes", "The island ferry will leave at seven from next week, the port said.",
             "Passengers had complained about late arrivals all spring.", date="2026-05-04")
MARKET = page("Night market returns", "The night market returns to the quay on Friday with forty stalls.",
              "Stallholders said the season would run until October.")  # states no date: the feed's is used


def poller(corpus: Path) -> Poller:
    return Poller.guarded(corpus, ONLY_LOOPBACK, host_delay_s=0, timeout_s=5)


def md(corpus: Path, rel: str) -> frontmatter.Post:
    return frontmatter.loads((corpus / rel).read_text(encoding="utf-8"))


def test_new_entries_become_markdown_with_front_matter_and_a_second_poll_adds_nothing(tmp_path):
    routes: dict = {}
    with serve_feeds(routes) as (base, seen):
        routes.update({
            "/rss": (200, RSS, rss(("Ferry timetable changes", f"{base}/ferry?utm_source=rss#top", MAY_4),
                                   ("Night market returns", f"{base}/market", MAY_5))),
            "/ferry": (200, HTML, FERRY), "/market": (200, HTML, MARKET)})
        feed = check_feed(f"{base}/rss", "Quay Post")
        [report] = poller(tmp_path).poll([feed])
        assert (report.status, report.problems, report.error) == ("ok", [], "")
        assert sorted(report.new) == ["feeds/quay-post/ferry-timetable-changes.md",
                                      "feeds/quay-post/night-market-returns.md"]
        ferry, market = md(tmp_path, report.new[0]), md(tmp_path, report.new[1])
        assert ferry.metadata == {"title": "Ferry timetable changes", "date": "2026-05-04",
                                  "url": f"{base}/ferry", "source": "Quay Post"}
        assert "leave at seven" in ferry.content
        assert market["date"] == "2026-05-05" and market["source"] == "Quay Post"  # the feed's date
        asked = len(seen)
        [again] = poller(tmp_path).poll([feed])
        assert (again.status, again.new, again.updated) == ("ok", [], [])
        assert [path for path, _ in seen[asked:]] == ["/robots.txt", "/rss"]  # no page fetched again


def test_a_feed_that_has_not_changed_answers_304_to_its_etag(tmp_path):
    routes: dict = {}

    def feed_route(headers):
        if headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {**RSS, "ETag": '"v1"', "Last-Modified": MAY_4}, rss(("Ferry", f"{base}/ferry", MAY_4))

    with serve_feeds(routes) as (base, seen):
        routes.update({"/rss": feed_route, "/ferry": (200, HTML, FERRY)})
        feed = check_feed(f"{base}/rss", "Quay Post")
        assert poller(tmp_path).poll([feed])[0].new
        [report] = poller(tmp_path).poll([feed])
        assert report.status == "not modified" and not report.new
        conditional = [h for path, h in seen if path == "/rss"][-1]
        assert conditional["If-None-Match"] == '"v1"' and conditional["If-Modified-Since"] == MAY_4
        state = json.loads((tmp_path / ".feeds-state.json").read_text())
        assert state["feeds"][feed.url]["etag"] == '"v1"' and state["feeds"][feed.url]["failures"] == 0


def test_entries_left_for_the_next_poll_are_not_lost_to_a_304(tmp_path):
    routes: dict = {}

    def feed_route(headers):
        if headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {**RSS, "ETag": '"v1"'}, rss(("Ferry", f"{base}/ferry", MAY_4), ("Market", f"{base}/market", MAY_4))

    with serve_feeds(routes) as (base, _):
        routes.update({"/rss": feed_route, "/ferry": (200, HTML, FERRY), "/market": (200, HTML, MARKET)})
        feed = check_feed(f"{base}/rss", "Quay Post")
        one_at_a_time = poller(tmp_path)
        one_at_a_time.max_new = 1
        first, second, third = (one_at_a_time.poll([feed])[0] for _ in range(3))
    assert (len(first.new), first.waiting) == (1, 1)
    assert (len(second.new), second.waiting, second.status) == (1, 0, "ok")  # the whole feed, not a 304
    assert third.status == "not modified"  # everything dealt with: the ETag is used again


def test_the_same_story_from_two_feeds_is_kept_once(tmp_path):
    routes: dict = {}
    with serve_feeds(routes) as (base, _):
        routes.update({"/a": (200, RSS, rss(("Ferry timetable changes", f"{base}/ferry", MAY_4))),
                       "/b": (200, RSS, rss(("Ferry timetable changes", f"{base}/ferry?utm_medium=b&fbclid=9#x",
                                             MAY_4))),
                       "/ferry": (200, HTML, FERRY)})
        first, second = poller(tmp_path).poll([check_feed(f"{base}/a", "Quay Post"),
                                               check_feed(f"{base}/b", "Harbour Times")])
    assert first.new == ["feeds/quay-post/ferry-timetable-changes.md"] and second.new == []
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.md")] == first.new


def test_when_the_feed_that_kept_a_story_is_removed_another_feed_takes_over_its_updates(tmp_path):
    routes: dict = {}
    with serve_feeds(routes) as (base, _):
        routes.update({"/a": (200, RSS, rss(("Ferry timetable changes", f"{base}/ferry", MAY_4))),
                       "/b": (200, RSS, rss(("Ferry timetable changes", f"{base}/ferry", MAY_4))),
                       "/ferry": (200, HTML, FERRY)})
        add_feed(tmp_path, check_feed(f"{base}/a", "Quay Post"))
        add_feed(tmp_path, check_feed(f"{base}/b", "Harbour Times"))
        first, second = poller(tmp_path).poll(load_feeds(tmp_path))
        remove_feed(tmp_path, "Quay Post")
        routes.update({"/b": (200, RSS, rss(("Ferry timetable changes", f"{base}/ferry", MAY_5))),
                       "/ferry": (200, HTML, page("Ferry timetable changes", "The ferry now leaves at eight.",
                                                  date="2026-05-05"))})
        [later] = poller(tmp_path).poll(load_feeds(tmp_path))
    assert first.new == ["feeds/quay-post/ferry-timetable-changes.md"] and second.new == []
    assert later.updated == first.new and "leaves at eight" in md(tmp_path, first.new[0]).content
    state = json.loads((tmp_path / ".feeds-state.json").read_text())
    assert list(state["feeds"]) == [f"{base}/b"]


def test_an_updated_article_replaces_its_file_and_keeps_its_id(tmp_path):
    routes: dict = {}
    with serve_feeds(routes) as (base, _):
        routes.update({"/rss": (200, RSS, rss(("Ferry timetable changes", f"{base}/ferry", MAY_4))),
                       "/ferry": (200, HTML, FERRY)})
        feed = check_feed(f"{base}/rss", "Quay Post")
        [first] = poller(tmp_path).poll([feed])
        routes.update({"/rss": (200, RSS, rss(("Ferry timetable changes again", f"{base}/ferry", MAY_5))),
                       "/ferry": (200, HTML, page("Ferry timetable changes again", "The island ferry will now "
                                                  "leave at half past seven, the port said.", date="2026-05-05"))})
        [second] = poller(tmp_path).poll([feed])
    assert second.new == [] and second.updated == first.new  # same file, though the title changed
    post = md(tmp_path, first.new[0])
    assert "half past seven" in post.content and post["date"] == "2026-05-05"
    assert len(list(tmp_path.rglob("*.md"))) == 1


def test_a_lost_state_file_rewrites_the_same_files_and_another_story_with_the_title_gets_its_own(tmp_path):
    routes: dict = {}
    with serve_feeds(routes) as (base, _):
        routes.update({"/rss": (200, RSS, rss(("Ferry timetable changes", f"{base}/ferry", MAY_4))),
                       "/ferry": (200, HTML, FERRY), "/ferry-2": (200, HTML, FERRY)})
        feed = check_feed(f"{base}/rss", "Quay Post")
        [first] = poller(tmp_path).poll([feed])
        (tmp_path / ".feeds-state.json").unlink()
        [again] = poller(tmp_path).poll([feed])
        routes["/rss"] = (200, RSS, rss(("Ferry timetable changes", f"{base}/ferry-2", MAY_4)))
        [other] = poller(tmp_path).poll([feed])
    assert again.new == first.new == ["feeds/quay-post/ferry-timetable-changes.md"]
    [suffixed] = other.new
    assert suffixed.startswith("feeds/quay-post/ferry-timetable-changes-") and suffixed != first.new[0]
    assert md(tmp_path, suffixed)["url"] == f"{base}/ferry-2" and md(tmp_path, first.new[0])["url"] == f"{base}/ferry"
    assert len(list(tmp_path.rglob("*.md"))) == 2


def test_bad_entries_are_reported_and_the_others_saved(tmp_path):
    routes: dict = {}
    with serve_feeds(routes) as (base, seen):
        routes.update({
            "/rss": (200, RSS, rss(("No link here", "", MAY_4), ("Undated", f"{base}/undated", ""),
                                   ("Empty page", f"{base}/empty", MAY_4), ("Gone", f"{base}/gone", MAY_4),
                                   ("Ferry", f"{base}/ferry", MAY_4))),
            "/undated": (200, HTML, MARKET), "/empty": (200, HTML, b"<html><body></body></html>"),
            "/ferry": (200, HTML, FERRY)})
        feed = check_feed(f"{base}/rss", "Quay Post")
        [report] = poller(tmp_path).poll([feed])
        assert report.status == "ok" and report.new == ["feeds/quay-post/ferry-timetable-changes.md"]
        problems = "\n".join(report.problems)
        assert "'No link here' has no link" in problems
        assert f"{base}/undated: neither the page nor the feed's entry gives a publication date" in problems
        assert f"{base}/empty" in problems and f"{base}/gone answered HTTP 404" in problems
        for _ in range(3):
            [report] = poller(tmp_path).poll([feed])
        assert "not fetched again until the feed updates the entry" in "\n".join(report.problems)
        asked = len(seen)
        [report] = poller(tmp_path).poll([feed])
        assert "/gone" not in [path for path, _ in seen[asked:]]  # given up: not asked again
        assert f"{base}/gone answered HTTP 404" in "\n".join(report.problems)  # and still reported


def test_robots_txt_is_obeyed_for_pages_and_for_the_feed(tmp_path):
    routes: dict = {}
    with serve_feeds(routes) as (base, seen):
        routes.update({"/robots.txt": (200, {"Content-Type": "text/plain"},
                                       b"User-agent: *\nDisallow:\n\nUser-agent: Footnote\nDisallow: /private/\nDisallow: /closed\n"),
                       "/rss": (200, RSS, rss(("Secret", f"{base}/private/secret", MAY_4), ("Ferry", f"{base}/ferry", MAY_4))),
                       "/closed-feed": (200, RSS, rss(("Ferry", f"{base}/ferry", MAY_4))),
                       "/ferry": (200, HTML, FERRY), "/private/secret": (200, HTML, FERRY)})
        open_feed, closed = check_feed(f"{base}/rss", "Quay Post"), check_feed(f"{base}/closed-feed", "Closed")
        first, second = poller(tmp_path).poll([open_feed, closed])
        asked = [path for path, _ in seen]
    assert first.new == ["feeds/quay-post/ferry-timetable-changes.md"]
    assert "robots.txt disallows it for Footnote" in "\n".join(first.problems)
    assert second.status == "failed" and "robots.txt disallows it" in second.error
    assert "/private/secret" not in asked and "/closed-feed" not in asked
    assert asked.count("/robots.txt") == 1  # once per host


def test_requests_to_one_host_are_spaced_by_the_delay_and_robots_txt_is_read_hourly():
    clock, slept, asked = [100.0], [], []

    def fetch(url, accept, headers=None, max_bytes=0):
        asked.append(url)
        clock[0] += 0.25  # each request takes a quarter of a second
        return Fetched(url, 404 if url.endswith("robots.txt") else 200, {}, b"")

    def sleep(seconds):
        slept.append(round(seconds, 2))
        clock[0] += seconds

    polite = PoliteFetcher(fetch, host_delay_s=2.0, sleep=sleep, clock=lambda: clock[0])
    for path in ("/a", "/b"):
        polite.get(f"https://quay.example{path}", "text/html")
    polite.get("https://harbour.example/a", "text/html")
    # quay: robots.txt, wait, /a, wait, /b; harbour: robots.txt at once (another host), wait, /a
    assert slept == [2.0, 2.0, 2.0]
    asked.clear()
    polite.get("https://quay.example/c", "text/html")
    clock[0] += 3600
    polite.get("https://quay.example/d", "text/html")
    assert asked == ["https://quay.example/c", "https://quay.example/robots.txt", "https://quay.example/d"]


def test_a_gzipped_feed_is_read(tmp_path):
    routes: dict = {}
    with serve_feeds(routes) as (base, _):
        routes.update({"/rss": (200, {**RSS, "Content-Encoding": "gzip"}, gzip.compress(rss(("Ferry", f"{base}/ferry", MAY_4)))),
                       "/ferry": (200, HTML, FERRY)})
        [report] = poller(tmp_path).poll([check_feed(f"{base}/rss", "Quay Post")])
    assert report.new == ["feeds/quay-post/ferry-timetable-changes.md"]


def test_keep_takes_only_the_links_it_matches(tmp_path):
    routes: dict = {}
    with serve_feeds(routes) as (base, seen):
        routes.update({"/rss": (200, RSS, rss(("Ferry", f"{base}/news/ferry", MAY_4), ("Match", f"{base}/sport/m", MAY_4))),
                       "/news/ferry": (200, HTML, FERRY), "/sport/m": (200, HTML, MARKET)})
        feed = check_feed(f"{base}/rss", "Quay Post", keep="/news/")
        [report] = poller(tmp_path).poll([feed])
        assert report.new == ["feeds/quay-post/ferry-timetable-changes.md"]
        assert "/sport/m" not in [path for path, _ in seen]


ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Q</title>
<id>urn:q</id><updated>2026-05-05T09:00:00Z</updated>
<entry><title>Ferry</title><link rel="alternate" href="/ferry"/><id>urn:1</id><published>2026-05-04T08:00:00Z</published>
<updated>2026-05-05T09:00:00Z</updated><author><name>Ada Quay</name></author></entry></feed>"""
RDF = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel rdf:about="https://q.example/">
<title>Q</title><link>https://q.example/</link><description>d</description></channel>
<item rdf:about="https://q.example/ferry"><title>Ferry</title><link>https://q.example/ferry</link>
<dc:date>2026-05-04T08:00:00Z</dc:date></item></rdf:RDF>"""
RSS091 = b"""<?xml version="1.0"?><rss version="0.91"><channel><title>Q</title><link>https://q.example/</link>
<description>d</description><language>en</language><item><title>Ferry</title><link>https://q.example/ferry</link></item>
</channel></rss>"""
SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://q.example/ferry</loc>
<news:news><news:publication><news:name>Q</news:name><news:language>en</news:language></news:publication>
<news:publication_date>2026-05-04T08:00:00+00:00</news:publication_date><news:title>Ferry</news:title></news:news>
</url></urlset>"""


@pytest.mark.parametrize("document, published, author", [
    (ATOM, "2026-05-04", "Ada Quay"), (RDF, "2026-05-04", ""), (RSS091, "", ""), (SITEMAP, "2026-05-04", "")])
def test_atom_rss_1_0_rss_0_91_and_news_sitemaps_give_their_entries(document, published, author):
    [entry] = parse_feed(document, "https://q.example/feed").entries
    assert (entry.link, entry.title, entry.published, entry.author) == ("https://q.example/ferry", "Ferry",
                                                                        published, author)
