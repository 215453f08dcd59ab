"""Feeds polled on their schedule: by `footnote watch` and `footnote serve --watch` (each a real
process, the feed on 127.0.0.1), their articles then indexed with no other action; the schedule
itself with a stop event and a clock."""

from __future__ import annotations

import datetime as dt
import os
import queue
import subprocess
import sys
import threading
import time

import httpx

from corpus.feeds import Poller
from corpus.feeds.schedule import keep_polling, poll_due
from tests.conftest import ROOT, article_txt, live_server, make_corpus, make_index, wait_until_served, write
from tests.feed_site import HTML, RSS, page, rss, serve_feeds

MAY_4 = "Mon, 04 May 2026 08:00:00 GMT"
FERRY = page("Ferry timetable changes", "The island ferry will leave at seven from next week, the port said.",
             date="2026-05-04")
LOOPBACK = {"FOOTNOTE_FETCH_ALLOW_LOOPBACK": "1"}  # the test setting: the feed is on 127.0.0.1


def feeds_toml(base: str) -> str:
    return f'[[feed]]\nurl = "{base}/rss"\nsource = "Quay Post"\nevery = "30m"\n'


def ferry_site(routes: dict, base: str) -> None:
    routes.update({"/rss": (200, RSS, rss(("Ferry timetable changes", f"{base}/ferry", MAY_4))),
                   "/ferry": (200, HTML, FERRY)})


def lines_of(proc: subprocess.Popen) -> queue.Queue:
    """The process's output lines, read on a thread so that a test can wait with a time limit."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    return lines


def wait_for(lines: queue.Queue, text: str, timeout_s: float = 90) -> list[str]:
    """The lines up to the first containing `text`; AssertionError after `timeout_s`."""
    seen, deadline = [], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            seen.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
        except queue.Empty:
            break
        if text in seen[-1]:
            return seen
    raise AssertionError(f"no line with {text!r} in {seen}")


def test_footnote_watch_polls_a_due_feed_and_indexes_its_article(tmp_path):
    routes: dict = {}
    with serve_feeds(routes) as (base, _):
        ferry_site(routes, base)
        corpus = write(tmp_path / "c", {"first.txt": article_txt("2026-01-01", "The first article."),
                                        "feeds.toml": feeds_toml(base)})
        proc = subprocess.Popen([sys.executable, "-m", "index.cli", "watch", "--model", "hash:64", "--corpus",
                                 str(corpus), "--index", str(tmp_path / "i"), "--debounce-ms", "200"], cwd=ROOT,
                                env={**os.environ, **LOOPBACK}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        try:
            lines = lines_of(proc)
            wait_for(lines, "watching")
            assert "feed Quay Post: 1 new, 0 updated" in wait_for(lines, "feed Quay Post")[-1]
            indexed = wait_for(lines, "feeds/quay-post/ferry-timetable-changes.md")[-1]
            assert "1 added" in indexed and "generation 000002" in indexed, indexed
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def test_serve_watch_polls_feeds_and_serves_their_articles(tmp_path):
    make_corpus(tmp_path / "corpus")
    make_index(tmp_path / "corpus", tmp_path / "index")
    routes: dict = {}
    with serve_feeds(routes) as (base, _):
        ferry_site(routes, base)
        write(tmp_path / "corpus", {"feeds.toml": feeds_toml(base)})
        env = {"FOOTNOTE_WATCH": "true", "FOOTNOTE_RATE_LIMIT_PER_MINUTE": "0", **LOOPBACK}
        with live_server(tmp_path, env) as api, httpx.Client(base_url=api, timeout=30) as http:
            wait_until_served(http, "/v1/articles/feeds/quay-post/ferry-timetable-changes",
                              "the feed's article was not polled and indexed")
            got = http.get("/v1/articles/feeds/quay-post/ferry-timetable-changes").json()
            assert got["source"] == "Quay Post" and got["url"] == f"{base}/ferry"


def test_a_feed_is_polled_when_due_and_not_before(tmp_path):
    routes: dict = {}
    with serve_feeds(routes) as (base, seen):
        ferry_site(routes, base)
        write(tmp_path, {"feeds.toml": feeds_toml(base)})
        now = [dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.timezone.utc)]
        poller = Poller.guarded(tmp_path, "127.0.0.1".__eq__, host_delay_s=0)
        poller.now = lambda: now[0]
        assert "1 new" in poll_due(poller)[0]  # never polled: due at once
        asked = len(seen)
        now[0] += dt.timedelta(minutes=29)
        assert poll_due(poller) == [] and len(seen) == asked  # not yet: nothing fetched
        now[0] += dt.timedelta(minutes=1)
        assert poll_due(poller) == [] and [p for p, _ in seen[asked:]] == ["/rss"]  # robots.txt read within the hour


def test_the_schedule_goes_on_after_a_failed_poll_and_stops_when_told(tmp_path):
    stop, said, calls = threading.Event(), [], []

    def poll():
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk gone")
        if len(calls) == 3:
            stop.set()
        return [f"poll {len(calls)}"]

    thread = threading.Thread(target=keep_polling, args=(poll, said.append, stop, 0.01))
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive() and len(calls) == 3
    assert "feeds poll failed: disk gone" in said[0] and said[1:] == ["poll 2", "poll 3"]


def test_a_broken_feeds_toml_is_reported_not_raised(tmp_path):
    write(tmp_path, {"feeds.toml": "[[feed]]\nurl = \n"})
    [line] = poll_due(Poller.guarded(tmp_path, "127.0.0.1".__eq__))
    assert "feeds not polled" in line and "feeds.toml" in line and "line 2" in line
