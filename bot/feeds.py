"""/feeds list|add|remove|poll: the curator's feeds (feeds.toml in the corpus folder) from Discord.
The replies are plain functions of the service's dicts; the commands defer, call and send."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.clip import clip_words
from bot.guards import CURATORS, curators_only
from bot.markdown import escape
from bot.render import message_text
from bot.respond import privately

feeds = app_commands.Group(name="feeds", description="Feeds polled into the collection (curators)", guild_only=True,
                           default_permissions=CURATORS)


@feeds.command(name="list", description="The feeds, when each was polled and what went wrong")
@app_commands.check(curators_only)
async def list_feeds(interaction: discord.Interaction) -> None:
    await privately(interaction, interaction.client.service.feeds(), feeds_text)


@feeds.command(name="add", description="Add an RSS, Atom or news-sitemap feed")
@app_commands.describe(url="The feed's address", source="The source name recorded on its articles",
                       every="How often to poll it: 30m, 2h, 1d (default 1h, at least 5m)",
                       keep="Keep only links matching this regular expression (optional)")
@app_commands.check(curators_only)
async def add(interaction: discord.Interaction, url: str, source: app_commands.Range[str, 1, 100],
              every: app_commands.Range[str, 2, 8] = "1h", keep: app_commands.Range[str, 1, 200] | None = None) -> None:
    await privately(interaction, interaction.client.service.add_feed(url, source, every, keep or ""), added_text)


@feeds.command(name="remove", description="Remove a feed (its articles stay)")
@app_commands.describe(feed="The feed's address or source name")
@app_commands.check(curators_only)
async def remove(interaction: discord.Interaction, feed: str) -> None:
    await privately(interaction, interaction.client.service.remove_feed(feed), removed_text)


@feeds.command(name="poll", description="Poll every feed now and save their new articles")
@app_commands.check(curators_only)
async def poll(interaction: discord.Interaction) -> None:
    # Not within the answer timeout: a poll waits on other sites (with pauses between requests),
    # and a deferred reply may come up to Discord's fifteen minutes later.
    await privately(interaction, interaction.client.service.poll_feeds(), poll_text, timed=False)


def added_text(feed: dict) -> str:
    return message_text(f"Added {escape(feed['source'])} (<{feed['url']}>), polled every {feed['every']} into "
                        f"`{feed['folder']}/`. `/feeds poll` fetches it now.")


def removed_text(feed: dict) -> str:
    return message_text(f"Removed {escape(feed['source'])} (<{feed['url']}>); its articles stay in "
                        f"`{feed['folder']}/`.")


def feeds_text(rows: list[dict]) -> str:
    """The feeds as lines for Discord: source, period, articles, last poll, trouble with its fix."""
    if not rows:
        return "No feeds yet. Add one with `/feeds add`."
    lines = []
    for row in rows:
        polled = f"polled {row['last_poll'][:16].replace('T', ' ')} UTC" if row["last_poll"] else "not polled yet"
        lines.append(f"**{escape(row['source'])}** every {row['every']}, {row['articles']} article(s), {polled} "
                     f"— <{row['url']}>")
        if row["last_error"]:
            lines.append(f"  ⚠ failed {row['failures']} time(s), tried again after {row['retry_after']}: "
                         f"{escape(clip_words(row['last_error'], 300))}")
        lines += [f"  • {escape(clip_words(problem, 300))}" for problem in row["problems"][:3]]
    return message_text("\n".join(lines))


def poll_text(reports: list[dict]) -> str:
    """A poll's outcome per feed, and what to run next."""
    if not reports:
        return "No feeds to poll. Add one with `/feeds add`."
    lines = []
    for r in reports:
        lines.append(f"**{escape(r['source'])}**: {r['status']}, {len(r['new'])} new, {len(r['updated'])} updated")
        if r["error"]:
            lines.append(f"  ⚠ {escape(clip_words(r['error'], 300))} (tried again after {r['retry_after']})")
        lines += [f"  • {escape(clip_words(problem, 300))}" for problem in r["problems"][:3]]
    if any(r["new"] or r["updated"] for r in reports):
        lines.append("Run `/reindex` to make the new articles searchable.")
    return message_text("\n".join(lines))


COMMANDS = (feeds,)
