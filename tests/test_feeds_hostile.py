"""Hostile and broken feeds, served on 127.0.0.1: each is refused with a clear reason, backs
off, and never harms the good feed polled beside it. Loopback is reachable only because these
tests allow it, and never by default."""

from __future__ import annotations

import datetime as dt
import json
import time
import zlib

import pytest

from corpus.feeds import Poller, check_feed
from corpus.feeds.state import FeedsState
from corpus.fetch import allowed_from_env, is_public
from tests.feed_site import HTML, RSS, page, rss, serve_feeds

ONLY_LOOPBACK = "127.0.0.1".__eq__
MAY_4 = "Mon, 04 May 2026 08:00:00 GMT"
FERRY = page("Ferry timetable changes", "The island ferry will leave at seven from next week, the port said.",
             date="2026-05-04")
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><link>http://x.example/</link></item>
</channel></rss>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title><item><title>&secret;</title><link>http://x.example/</link></item>
</channel></rss>"""
MEGABYTE = b"<!-- " + b"x" * (2**20 - 9) + b" -->"


def fifty_megabytes():
    """A 50 MB feed body, streamed a megabyte at a time (never held whole)."""
    yield b'<?xml version="1.0"?><rss version="2.0"><channel>'
    for _ in range(50):
        yield MEGABYTE


def gzip_bomb() -> bytes:
    """About 50 KB of gzip that unpacks to 50 MB of zeros, made a megabyte at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(2**20)
    return b"".join([packer.compress(zeros) for _ in range(50)] + [packer.flush()])


def endless_trickle():
    """A feed that never ends: a byte every tenth of a second (bounded, so the server thread ends)."""
    yield b'<?xml version="1.0"?><rss version="2.0"><channel>'
    for _ in range(600):
        time.sleep(0.1)
        yield b" "


@pytest.fixture
def site():
    routes: dict = {}
    with serve_feeds(routes) as (base, seen):
        routes.update({
            "/good": (200, RSS, rss(("Ferry timetable changes", f"{base}/ferry", MAY_4))),
            "/ferry": (200, HTML, FERRY),
            "/malformed": (200, RSS, b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item>'
                                     b"<title>broken</wrong></item></channel>"),
            "/laughs": (200, RSS, BILLION_LAUGHS),
            "/external": (200, RSS, EXTERNAL_ENTITY),
            "/to-loopback": (302, {"Location": "http://127.0.0.2:{port}/good"}, b""),
            "/to-metadata": (301, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
            "/garbage": (200, RSS, b"<rss version='2.0'><<<channel \x00\x01 &&& </rss"),
            "/huge": (200, RSS, fifty_megabytes()),
            "/bomb": (200, {**RSS, "Content-Encoding": "gzip"}, gzip_bomb()),
            "/slow": (200, RSS, endless_trickle()),
            "/down": (503, HTML, b"down for maintenance"),
            "/html": (200, HTML, FERRY),
        })
        yield base, routes, seen


def poll_beside_a_good_feed(tmp_path, base, path, timeout_s=5.0):
    """Poll the hostile feed at `path` between two polls of a good one; returns its report and
    checks the good feed was not harmed."""
    bad, good = check_feed(f"{base}{path}", "Hostile"), check_feed(f"{base}/good", "Quay Post")
    poller = Poller.guarded(tmp_path, ONLY_LOOPBACK, host_delay_s=0, timeout_s=timeout_s)
    started = time.monotonic()
    [report, good_report] = poller.poll([bad, good])
    assert good_report.status == "ok" and good_report.new == ["feeds/quay-post/ferry-timetable-changes.md"]
    assert report.status == "failed" and report.new == [] and report.retry_after
    assert not (tmp_path / "feeds" / "hostile").exists()
    return report, time.monotonic() - started


@pytest.mark.parametrize("path, reason", [
    ("/garbage", "is not a feed Footnote can read (not well-formed (invalid token): line 1"),
    ("/laughs", "declares XML entities (the shape of a \"billion laughs\" attack)"),
    ("/external", "declares XML entities"),
    ("/to-loopback", "redirects to http://127.0.0.2:"),
    ("/to-metadata", "redirects to http://169.254.169.254/latest/meta-data/"),
    ("/huge", "is over 8 MiB"),
    ("/bomb", "is over 8 MiB"),
    ("/down", "answered HTTP 503"),
    ("/html", "is not a feed Footnote can read"),
])
def test_a_hostile_or_broken_feed_is_refused_with_its_reason(tmp_path, site, path, reason):
    base, _, _ = site
    report, took_s = poll_beside_a_good_feed(tmp_path, base, path)
    assert reason in report.error, report.error
    assert took_s < 10


def test_a_malformed_feed_whose_entries_can_still_be_read_is_reported_with_them(tmp_path, site):
    base, routes, _ = site
    routes["/malformed"] = (200, RSS, b'<?xml version="1.0"?><rss version="2.0"><channel><title>x & y</title><item>'
                                      b"<title>Ferry</title><link>" + f"{base}/ferry".encode() + b"</link>"
                                      b"<pubDate>" + MAY_4.encode() + b"</pubDate></item></channel></rss>")
    [report] = Poller.guarded(tmp_path, ONLY_LOOPBACK, host_delay_s=0).poll([check_feed(f"{base}/malformed", "Q")])
    assert report.status == "ok" and report.new == ["feeds/q/ferry-timetable-changes.md"]
    assert "not well-formed XML (not well-formed (invalid token): line 1" in report.problems[0]
    assert "tell the publisher" in report.problems[0]


def test_redirects_to_loopback_name_the_guard(tmp_path, site):
    base, _, _ = site
    report, _ = poll_beside_a_good_feed(tmp_path, base, "/to-loopback")
    assert "resolves to an address inside this machine or a private network" in report.error


def test_a_redirect_to_127_0_0_1_is_refused_when_loopback_is_not_allowed(tmp_path):
    """The feed's site stands on 127.0.0.2, the one address this poller may reach (a public site,
    as far as the test goes); it redirects to a server on 127.0.0.1, which is never contacted."""
    inside: dict = {}
    with serve_feeds(inside) as (inside_base, inside_seen):
        inside["/secret"] = (200, RSS, rss(("Secret", f"{inside_base}/s", MAY_4)))
        with serve_feeds({"/rss": (302, {"Location": f"{inside_base}/secret"}, b"")}, host="127.0.0.2") as (base, _):
            poller = Poller.guarded(tmp_path, "127.0.0.2".__eq__, host_delay_s=0)
            [report] = poller.poll([check_feed(f"{base}/rss", "Outside")])
    assert report.status == "failed"
    assert f"redirects to {inside_base}/secret, and 127.0.0.1 resolves to an address inside this machine" in report.error
    assert inside_seen == []


def test_an_endless_slow_response_is_cut_at_the_deadline(tmp_path, site):
    base, _, _ = site
    report, took_s = poll_beside_a_good_feed(tmp_path, base, "/slow", timeout_s=1.5)
    assert "took longer than" in report.error
    assert took_s < 8


def test_a_failing_feed_backs_off_doubling_and_a_success_resets_it(tmp_path, site):
    base, routes, _ = site
    now = [dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.timezone.utc)]
    poller = Poller.guarded(tmp_path, ONLY_LOOPBACK, host_delay_s=0)
    poller.now = lambda: now[0]
    feed = check_feed(f"{base}/down", "Flaky", every="30m")
    [first] = poller.poll([feed], due_only=True)
    assert first.status == "failed" and first.retry_after == "2026-05-04T08:30:00+00:00"
    now[0] += dt.timedelta(minutes=20)
    assert poller.poll([feed], due_only=True)[0].status == "not due"
    now[0] += dt.timedelta(minutes=10)
    [second] = poller.poll([feed], due_only=True)
    assert second.status == "failed" and second.retry_after == "2026-05-04T09:30:00+00:00"  # doubled
    state = json.loads((tmp_path / ".feeds-state.json").read_text())["feeds"][feed.url]
    assert state["failures"] == 2 and "HTTP 503" in state["last_error"]
    routes["/down"] = routes["/good"]
    now[0] += dt.timedelta(hours=1)
    assert poller.poll([feed], due_only=True)[0].status == "ok"
    [row] = FeedsState.load(tmp_path).overview([feed])
    assert (row["failures"], row["last_error"], row["retry_after"], row["articles"]) == (0, None, None, 1)


def test_loopback_is_refused_unless_the_test_setting_allows_it(tmp_path, site):
    base, _, _ = site
    feed = check_feed(f"{base}/good", "Quay Post")
    for environ in ({}, {"FOOTNOTE_FETCH_ALLOW_LOOPBACK": "0"}, {"FOOTNOTE_FETCH_ALLOW_LOOPBACK": "yes"}):
        assert allowed_from_env(environ) is is_public
        [report] = Poller.guarded(tmp_path, allowed_from_env(environ), host_delay_s=0).poll([feed])
        assert report.status == "failed" and "inside this machine" in report.error
    [report] = Poller.guarded(tmp_path, allowed_from_env({"FOOTNOTE_FETCH_ALLOW_LOOPBACK": "1"}),
                              host_delay_s=0).poll([feed])
    assert report.status == "ok" and report.new
    assert not allowed_from_env({"FOOTNOTE_FETCH_ALLOW_LOOPBACK": "1"})("10.0.0.7")  # still no private network
