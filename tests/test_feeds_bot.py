"""/feeds list|add|remove|poll in Discord: real interactions dispatched through the command tree
(tests/bot_harness.py), the feed served on 127.0.0.1; curators only, errors with the fix."""

from __future__ import annotations

import discord
import httpx
import pytest

from bot.feeds import feeds_text, poll_text
from bot.remote import RemoteFootnote
from corpus.feeds import load_feeds
from tests.bot_harness import Harness, make_bot, run
from tests.feed_site import HTML, RSS, page, rss, serve_feeds

MANAGE_GUILD = discord.Permissions(manage_guild=True).value
FERRY = page("Ferry timetable changes", "The island ferry will leave at seven from next week, the port said.",
             date="2026-05-04")


def test_a_curator_adds_lists_polls_and_removes_a_feed(own_index, tmp_path):
    corpus, index, embedder = own_index
    routes: dict = {}
    with serve_feeds(routes) as (base, _):
        routes.update({"/rss": (200, RSS, rss(("Ferry", f"{base}/ferry", "Mon, 04 May 2026 08:00:00 GMT"))),
                       "/ferry": (200, HTML, FERRY)})

        async def scenario(h: Harness):
            h.bot.service.fetch_allowed = "127.0.0.1".__eq__  # the test's server only
            added = await h.slash("feeds", {"url": f"{base}/rss", "source": "Quay Post", "every": "30m"},
                                  subcommand="add", permissions=MANAGE_GUILD)
            polled = await h.slash("feeds", subcommand="poll", permissions=MANAGE_GUILD)
            listed = await h.slash("feeds", subcommand="list", permissions=MANAGE_GUILD)
            removed = await h.slash("feeds", {"feed": "quay post"}, subcommand="remove", permissions=MANAGE_GUILD)
            return [calls[-1].payload["content"] for calls in (added, polled, listed, removed)] + [added[0].payload]

        added, polled, listed, removed, deferral = run(scenario, make_bot(corpus, index, embedder, tmp_path))
    assert deferral == {"type": 5, "data": {"flags": 64}}  # deferred, privately
    assert added.startswith("Added Quay Post (<") and "every 30m into `feeds/quay-post/`" in added
    assert "**Quay Post**: ok, 1 new, 0 updated" in polled and "Run `/reindex`" in polled
    assert (corpus / "feeds" / "quay-post" / "ferry-timetable-changes.md").exists()
    assert "**Quay Post** every 30m, 1 article(s), polled 20" in listed
    assert removed.startswith("Removed Quay Post") and load_feeds(corpus) == []


def test_feed_commands_are_for_curators_and_hidden_from_members(own_index, tmp_path):
    async def scenario(h: Harness):
        refused = await h.slash("feeds", {"url": "https://quay.example/rss", "source": "Q"}, subcommand="add",
                                permissions=0)
        return refused, {c.name: c.default_permissions for c in h.bot.tree.get_commands()}

    [refusal], permissions = run(scenario, make_bot(*own_index, tmp_path))
    assert refusal.payload["data"]["content"].startswith("Only curators can change the articles")
    assert permissions["feeds"] == discord.Permissions(manage_guild=True)
    assert not (own_index[0] / "feeds.toml").exists()


@pytest.mark.parametrize("options, fix", [
    ({"url": "https://quay.example/rss", "source": "Q", "every": "1m"}, "impolite to the site; give \"5m\" or more"),
    ({"url": "ftp://quay.example/rss", "source": "Q"}, "give one starting with https://"),
    ({"url": "https://quay.example/rss", "source": "Q", "keep": "(news"}, "is not a regular expression"),
])
def test_bad_input_is_answered_with_the_fix(own_index, tmp_path, options, fix):
    async def scenario(h: Harness):
        return await h.slash("feeds", options, subcommand="add", permissions=MANAGE_GUILD)

    *_, reply = run(scenario, make_bot(*own_index, tmp_path))
    assert reply.payload["content"].startswith("I couldn't do that: ") and fix in reply.payload["content"]


def test_a_bot_on_a_remote_footnote_says_where_feeds_are_managed(own_index, tmp_path):
    service = RemoteFootnote(httpx.AsyncClient(base_url="http://127.0.0.1:9"))  # never called

    async def scenario(h: Harness):
        return await h.slash("feeds", subcommand="list", permissions=MANAGE_GUILD)

    *_, reply = run(scenario, make_bot(*own_index, tmp_path, service=service))
    assert "manage them on the server's web page (Collection, Feeds) or with `footnote feeds`" in reply.payload["content"]


def test_the_replies_fit_in_one_message_however_many_feeds_and_problems():
    row = {"source": "Quay *Post*", "every": "1h", "articles": 3, "last_poll": "2026-05-04T08:00:00+00:00",
           "url": "https://quay.example/rss", "last_error": "x " * 400, "failures": 2,
           "retry_after": "2026-05-04T10:00:00+00:00", "problems": ["p " * 400] * 5}
    listed = feeds_text([row] * 40)
    assert len(listed) <= 2000 and "Quay \\*Post\\*" in listed
    report = {"source": "Q", "status": "failed", "new": [], "updated": [], "error": "e " * 500,
              "retry_after": "2026-05-04T10:00:00+00:00", "problems": ["p " * 400] * 5}
    assert len(poll_text([report] * 40)) <= 2000
    assert feeds_text([]).startswith("No feeds yet") and poll_text([]).startswith("No feeds to poll")
