"""Curator commands: add and remove articles, re-index, status. Manage Server or a curator role."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.articles import check_file, fetch_page, page_to_upload
from bot.errors import NONE
from bot.guards import Refused, check_curator
from bot.render import status_embed, summary_text
from corpus.article import ArticleError
from corpus.load import MAX_FILE_BYTES


def curators_only(interaction: discord.Interaction) -> bool:
    check_curator(interaction, interaction.client.settings.curator_roles)
    return True


article = app_commands.Group(name="article", description="Add or remove articles (curators)", guild_only=True)


@article.command(name="add", description="Add an article from a web page or an attached file")
@app_commands.describe(url="Address of the article's web page", file="An article file (.txt .md .html .json .jsonl)")
@app_commands.check(curators_only)
async def add(interaction: discord.Interaction, url: str | None = None, file: discord.Attachment | None = None) -> None:
    if (url is None) == (file is None):
        raise Refused("Give either `url:` or `file:` (one of them).")
    bot = interaction.client
    await interaction.response.defer(thinking=True, ephemeral=True)
    folder = bot.settings.upload_folder
    if url is not None:
        upload = page_to_upload(url, await fetch_page(bot.fetcher, url), folder)
    else:
        if file.size > MAX_FILE_BYTES:
            raise ArticleError(f"`{file.filename}` is over {MAX_FILE_BYTES // 2**20} MiB; split it into several articles")
        upload = check_file(file.filename, await file.read(), folder)
    ids = await bot.service.put_article(upload)
    names = ", ".join(f"`{i}`" for i in ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
    await interaction.followup.send(f"Saved {names} ({upload.articles[0].title!s:.100}). "
                                    "Run `/reindex` to make it searchable.", ephemeral=True, allowed_mentions=NONE)


@article.command(name="remove", description="Remove an article by its id")
@app_commands.describe(id="The article id, e.g. 2026/larkspur-line-opens")
@app_commands.check(curators_only)
async def remove(interaction: discord.Interaction, id: str) -> None:
    await interaction.response.defer(thinking=True, ephemeral=True)
    removed = await interaction.client.service.remove_article(id)
    await interaction.followup.send(f"Removed `{removed}`. Run `/reindex` to drop it from answers.",
                                    ephemeral=True, allowed_mentions=NONE)


@app_commands.command(name="reindex", description="Bring the index up to date with the articles (curators)")
@app_commands.guild_only()
@app_commands.check(curators_only)
async def reindex(interaction: discord.Interaction) -> None:
    await interaction.response.defer(thinking=True)

    async def progress(text: str) -> None:
        await interaction.edit_original_response(content=text, allowed_mentions=NONE)

    await progress("Re-indexing: reading the articles…")
    summary = await interaction.client.service.reindex(progress)
    await interaction.edit_original_response(content=summary_text(summary), allowed_mentions=NONE)


@app_commands.command(name="status", description="Which index generation the bot answers from (curators)")
@app_commands.guild_only()
@app_commands.check(curators_only)
async def status(interaction: discord.Interaction) -> None:
    await interaction.response.defer(thinking=True, ephemeral=True)
    embed = status_embed(await interaction.client.service.status())
    await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NONE)


COMMANDS = (article, reindex, status)
