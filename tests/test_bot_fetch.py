"""/article add url: the bot adds a page through the same guarded fetcher as the web page
(corpus/fetch.py): only public addresses, after every redirect, connecting to the address it
checked (no second lookup to rebind), a size cap while the body streams, one deadline over the
whole exchange, and the parsing off the event loop. A real HTTP server on 127.0.0.1 stands in
for the web; made-up names resolve through a DNS table."""

from __future__ import annotations

import functools

import discord
import pytest

from corpus.fetch import fetch_page
from tests.bot_harness import Harness, make_bot, run
from tests.web_site import HTML, ONLY_THE_TEST_SERVER, guarded_fetcher, serve_site

MANAGE_GUILD = discord.Permissions(manage_guild=True).value
PARAGRAPH = ("<p>The harbour council met on Tuesday and agreed that the repair budget for the old bridge would "
             "be reviewed again in spring, after engineers reported new corrosion on the steel cables.</p>\n")
DNS = {"news.example": ["127.0.0.1"], "intranet.example": ["10.0.0.7"],
       "both.example": ["127.0.0.1", "192.168.1.20"], "localhost": ["::1"]}


def page(paragraphs: int = 1) -> str:
    return ("<html><head><title>Bridge budget reviewed</title>"
            '<meta property="article:published_time" content="2026-05-02"></head><body><article>'
            f"<h1>Bridge budget reviewed</h1>{PARAGRAPH * paragraphs}</article></body></html>")


ROUTES = {
    "/bridge": (200, HTML, page().encode()),
    "/undated": (200, HTML, page().replace('<meta property="article:published_time" content="2026-05-02">', "").encode()),
    "/large": (200, HTML, page(2000).encode()),  # about 0.4 MiB: a second of trafilatura on this machine
    "/huge": (200, HTML, [b"<p>" + b"x" * 65529 + b"</p>"] * (12 * 16)),  # 12 MiB in 64 KiB pieces
    "/moved": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
    "/intranet": (301, {"Location": "http://intranet.example:{port}/wiki"}, b""),
    "/to-6to4": (302, {"Location": "http://[2002:7f00:1::1]:{port}/bridge"}, b""),
}


@pytest.fixture(scope="module")
def site():
    with serve_site(ROUTES) as (port, seen):
        yield port, seen


def add_url(url: str, **more):
    async def scenario(h: Harness):
        calls = await h.slash("article", {"url": url, **more}, subcommand="add", permissions=MANAGE_GUILD)
        return calls[-1].message.content, h.max_stall_s

    return scenario


def adding(own_index, tmp_path, url, dns=DNS, **more):
    bot = make_bot(*own_index, tmp_path)
    bot.fetch_page = guarded_fetcher(dns)
    return run(add_url(url, **more), bot)


def test_a_page_is_fetched_saved_and_parsed_without_blocking_the_event_loop(own_index, tmp_path, site):
    port, _ = site
    reply, stall_s = adding(own_index, tmp_path, f"http://news.example:{port}/large")
    assert "Saved `discord/bridge-budget-reviewed`" in reply
    assert stall_s < 0.5, f"the event loop stood still for {stall_s:.2f} s while the page was fetched and parsed"
    saved = (own_index[0] / "discord" / "bridge-budget-reviewed.md").read_text()
    assert f"url: http://news.example:{port}/large" in saved


def test_a_page_without_a_date_is_added_only_with_the_date_the_curator_gives(own_index, tmp_path, site):
    """The one date rule (corpus/additions.py), as /article add applies it."""
    port, _ = site
    refused, _ = adding(own_index, tmp_path / "a", f"http://news.example:{port}/undated")
    saved, _ = adding(own_index, tmp_path / "b", f"http://news.example:{port}/undated", date="2026-04-30")
    assert "states no publication date" in refused and "give its date (YYYY-MM-DD)" in refused
    assert "Saved `discord/bridge-budget-reviewed`" in saved
    assert "date: '2026-04-30'" in (own_index[0] / "discord" / "bridge-budget-reviewed.md").read_text()


def test_a_page_over_5_mib_is_refused_with_the_fix(own_index, tmp_path, site):
    port, _ = site
    reply, _ = adding(own_index, tmp_path, f"http://news.example:{port}/huge")
    assert "is over 5 MiB; save the article and upload it" in reply
    assert not (own_index[0] / "discord").exists()


@pytest.mark.parametrize("path_or_url, shown", [
    ("http://127.0.0.2:{port}/bridge", "127.0.0.2"),
    ("http://localhost:{port}/bridge", "localhost"),
    ("http://[::1]:{port}/bridge", "::1"),
    ("http://[::ffff:10.0.0.1]:{port}/bridge", "::ffff:10.0.0.1"),
    ("http://[2002:7f00:1::1]:{port}/bridge", "2002:7f00:1::1"),  # 6to4: 127.0.0.1 wrapped in IPv6
    ("http://news.example:{port}/moved", "redirects to http://169.254.169.254"),
    ("http://news.example:{port}/intranet", "redirects to http://intranet.example"),
    ("http://news.example:{port}/to-6to4", "redirects to http://[2002:7f00:1::1]"),
    ("http://both.example:{port}/bridge", "both.example"),  # one allowed and one private address
], ids=["loopback", "localhost", "ipv6-loopback", "ipv4-mapped", "6to4", "redirect-link-local",
        "redirect-private", "redirect-6to4", "mixed"])
def test_private_loopback_and_link_local_targets_are_refused_after_every_redirect(own_index, tmp_path, site,
                                                                                  path_or_url, shown):
    port, seen = site
    before = len(seen)
    reply, _ = adding(own_index, tmp_path, path_or_url.format(port=port))
    assert shown in reply and "inside this machine or a private network" in reply, reply
    assert all(host == "news.example" for host, _ in seen[before:]), seen[before:]  # only the first hop
    assert "10.0.0.7" not in reply and "192.168.1.20" not in reply  # this network's DNS answers stay private
    assert not (own_index[0] / "discord").exists()


def test_a_name_is_resolved_once_and_the_checked_address_is_the_one_connected_to(own_index, tmp_path, site):
    """DNS rebinding: a name that answers a public address first and a private one next must not
    get the request sent to the second."""
    port, seen = site
    answers = iter([["127.0.0.1"], ["10.0.0.9"], ["10.0.0.9"]])
    calls = []

    def rebinding(host, port_):
        calls.append(host)
        return next(answers)

    bot = make_bot(*own_index, tmp_path)
    bot.fetch_page = functools.partial(fetch_page, allowed=ONLY_THE_TEST_SERVER, resolve=rebinding)
    before = len(seen)
    reply, _ = run(add_url(f"http://rebind.example:{port}/bridge"), bot)
    assert "Saved `discord/bridge-budget-reviewed`" in reply
    assert calls == ["rebind.example"] and seen[before:] == [("rebind.example", "/bridge")]


def test_an_address_the_bot_cannot_fetch_is_refused_with_what_is_wrong(own_index, tmp_path):
    for url, fix in (("ftp://news.example/x", "is not a web address"), ("http://news.example:99999/",
                     "is not a valid web address"), ("http://nowhere.example/", "could not be resolved")):
        reply, _ = adding(own_index, tmp_path, url)
        assert fix in reply, reply
