"""Feeds on the web page's collection view: shown to a signed-in curator with each feed's last
poll and trouble; added, removed and polled through forms that need the session's CSRF token.
The feed is served on 127.0.0.1; the app may fetch from there only because the test says so."""

from __future__ import annotations

from corpus.feeds import load_feeds
from tests.conftest import wait_for_job
from tests.feed_site import HTML, RSS, page as news_page, rss, serve_feeds
from tests.web_helpers import page, sign_in, text_of, web_client

ORIGIN = {"Origin": "http://testserver"}
FERRY = news_page("Ferry timetable changes", "The island ferry will leave at seven from next week, the port said.",
                  date="2026-05-04")


def test_a_curator_adds_polls_and_removes_a_feed_from_the_collection_page(web_indexed):
    routes: dict = {}
    with serve_feeds(routes) as (base, _), web_client(web_indexed) as client:
        routes.update({"/rss": (200, RSS, rss(("Ferry", f"{base}/ferry", "Mon, 04 May 2026 08:00:00 GMT"))),
                       "/ferry": (200, HTML, FERRY), "/broken": (200, RSS, b"<rss><<<")})
        client.app.state.fetch_allowed = "127.0.0.1".__eq__
        assert not page(client.get("/collection")).xpath('//section[@id="feeds"]')  # not signed in: not shown
        token = sign_in(client)
        for url, source in ((f"{base}/rss", "Quay Post"), (f"{base}/broken", "Broken Gazette")):
            r = client.post("/collection/feeds/add", data={"csrf": token, "url": url, "source": source, "every": "30m"},
                            headers=ORIGIN, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/collection#feeds"
        assert [f.source for f in load_feeds(web_indexed / "corpus")] == ["Quay Post", "Broken Gazette"]

        r = client.post("/collection/feeds/poll", data={"csrf": token}, headers=ORIGIN, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
        assert wait_for_job(client, r.headers["location"].rsplit("/", 1)[1])["status"] == "succeeded"
        article = client.get("/v1/articles/feeds/quay-post/ferry-timetable-changes").json()
        assert article["source"] == "Quay Post" and "leave at seven" in article["text"]

        [feeds] = page(client.get("/collection")).xpath('//section[@id="feeds"]')
        shown = " ".join(text_of(feeds).split())
        assert "Quay Post every 30m · 1 article · polled" in shown
        assert "Broken Gazette" in shown and "Failed 1 time(s)" in shown and "is not a feed Footnote can read" in shown

        r = client.post("/collection/feeds/remove", data={"csrf": token, "feed": f"{base}/broken"}, headers=ORIGIN,
                        follow_redirects=False)
        assert r.status_code == 303
        assert [f.source for f in load_feeds(web_indexed / "corpus")] == ["Quay Post"]


def test_the_feed_forms_refuse_bad_input_and_missing_tokens_with_the_fix(web_indexed):
    with web_client(web_indexed) as client:
        token = sign_in(client)
        r = client.post("/collection/feeds/add", data={"csrf": token, "url": "https://quay.example/rss", "source": "Q",
                                                      "every": "1m"}, headers=ORIGIN, follow_redirects=False)
        assert r.status_code == 422 and "impolite" in text_of(page(r)) and "\"5m\"" in text_of(page(r))
        r = client.post("/collection/feeds/remove", data={"csrf": token, "feed": "Nope"}, headers=ORIGIN,
                        follow_redirects=False)
        assert r.status_code == 404 and "no feed 'Nope'" in text_of(page(r))
        r = client.post("/collection/feeds/add", data={"url": "https://quay.example/rss", "source": "Q"},
                        headers=ORIGIN, follow_redirects=False)
        assert r.status_code == 403
    assert load_feeds(web_indexed / "corpus") == []


def test_the_app_fetches_feeds_from_public_addresses_only_by_default(web_indexed, monkeypatch):
    monkeypatch.delenv("FOOTNOTE_FETCH_ALLOW_LOOPBACK", raising=False)
    with web_client(web_indexed) as client:
        allowed = client.app.state.fetch_allowed
    assert not allowed("127.0.0.1") and not allowed("10.0.0.7") and allowed("93.184.215.14")
    monkeypatch.setenv("FOOTNOTE_FETCH_ALLOW_LOOPBACK", "1")
    with web_client(web_indexed) as client:
        assert client.app.state.fetch_allowed("127.0.0.1")
