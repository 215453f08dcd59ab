"""/ask and /search: check, defer, do the work off the event loop, send."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.asking import answer_question
from bot.errors import NONE
from bot.guards import parent_id
from bot.passages import search_embed
from bot.views import search_view


@app_commands.command(name="ask", description="Ask the articles a question; the answer quotes them with citations")
@app_commands.describe(question="What you want to know", private="Only you see the answer")
async def ask(interaction: discord.Interaction, question: app_commands.Range[str, 1, 2000],
              private: bool = False) -> None:
    bot = interaction.client
    bot.check_asker(interaction.user.id, interaction.guild_id, interaction.channel_id, parent_id(interaction.channel))
    await interaction.response.defer(thinking=True, ephemeral=private)
    reply = await answer_question(bot, question, interaction.user.id, interaction.channel_id, private)
    await interaction.followup.send(embed=reply.embed, view=reply.view, ephemeral=private, allowed_mentions=NONE)


@app_commands.command(name="search", description="Find the passages that best match some words")
@app_commands.describe(query="Words to look for", private="Only you see the results")
async def search(interaction: discord.Interaction, query: app_commands.Range[str, 1, 500],
                 private: bool = False) -> None:
    bot = interaction.client
    bot.check_asker(interaction.user.id, interaction.guild_id, interaction.channel_id, parent_id(interaction.channel))
    await interaction.response.defer(thinking=True, ephemeral=private)
    passages = await bot.service.search(query, bot.settings.search_k)
    search_id = bot.store.save_search(query, passages)
    per_page = bot.settings.search_per_page
    await interaction.followup.send(embed=search_embed(query, passages, 0, per_page),
                                    view=search_view(search_id, 0, len(passages), per_page),
                                    ephemeral=private, allowed_mentions=NONE)
