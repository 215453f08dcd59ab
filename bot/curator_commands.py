"""Curator commands: add and remove articles, re-index, status, and the feeds (bot/feeds.py).
Hidden from members without Manage Server unless a server admin grants them (Server Settings,
Integrations); checked again when run, so the curator roles setting works too."""

from __future__ import annotations

import discord
from discord import app_commands

from bot import feeds as feed_commands
from bot.adding import add_from_file, add_from_url
from bot.clip import clip_words
from bot.errors import NONE, error_text
from bot.guards import CURATORS, Refused, check_curator, curators_only
from bot.markdown import escape
from bot.reindexing import reindex_in_channel
from bot.render import message_text, status_embed

CHOICES = 25  # Discord shows at most 25 suggestions


article = app_commands.Group(name="article", description="Add or remove articles (curators)", guild_only=True,
                             default_permissions=CURATORS)


@article.command(name="add", description="Add an article from a web page or an attached file")
@app_commands.describe(url="Address of the article's web page", file="An article file (.txt .md .html .json .jsonl)",
                       date="The page's publication date (YYYY-MM-DD), if the page does not state it")
@app_commands.check(curators_only)
async def add(interaction: discord.Interaction, url: str | None = None, file: discord.Attachment | None = None,
              date: app_commands.Range[str, 10, 10] | None = None) -> None:
    if (url is None) == (file is None):
        raise Refused("Give either `url:` or `file:` (one of them).")
    if date is not None and file is not None:
        raise Refused("`date:` goes with `url:`; a file gives its own date (`date: YYYY-MM-DD` in its front matter).")
    await interaction.response.defer(thinking=True, ephemeral=True)
    bot = interaction.client
    text = await (add_from_url(bot, url, date or "") if url is not None else add_from_file(bot, file))
    await interaction.edit_original_response(content=text, allowed_mentions=NONE)


@article.command(name="remove", description="Remove an article by its id")
@app_commands.describe(id="The article id, e.g. 2026/larkspur-line-opens (start typing to pick one)")
@app_commands.check(curators_only)
async def remove(interaction: discord.Interaction, id: str) -> None:
    await interaction.response.defer(thinking=True, ephemeral=True)
    removed = await interaction.client.within(interaction.client.service.remove_article(id))
    await interaction.edit_original_response(
        content=message_text(f"Removed `{escape(removed)}`. Run `/reindex` to drop it from answers."),
        allowed_mentions=NONE)


@remove.autocomplete("id")
async def article_ids(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Article ids matching what the curator typed, each with its title; nothing for members."""
    try:
        check_curator(interaction)
    except Refused:
        return []
    try:
        found = await interaction.client.service.find_articles(current, CHOICES)
    except Exception as exc:  # noqa: BLE001 - suggestions are a help; typing the id still works
        error_text(exc)  # logged (with an error id when unexpected)
        return []
    return [app_commands.Choice(name=clip_words(f"{aid} — {title}" if title else aid, 100), value=aid)
            for aid, title in found if len(aid) <= 100]


@app_commands.command(name="reindex", description="Bring the index up to date with the articles (curators)")
@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
@app_commands.check(curators_only)
async def reindex(interaction: discord.Interaction) -> None:
    await reindex_in_channel(interaction)


@app_commands.command(name="status", description="Which index generation the bot answers from (curators)")
@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
@app_commands.check(curators_only)
async def status(interaction: discord.Interaction) -> None:
    await interaction.response.defer(thinking=True, ephemeral=True)
    embed = status_embed(await interaction.client.within(interaction.client.service.status()))
    await interaction.edit_original_response(embed=embed, allowed_mentions=NONE)


COMMANDS = (article, reindex, status, *feed_commands.COMMANDS)
