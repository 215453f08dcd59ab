"""/ask, /search and the "Ask Footnote" message menu: check, defer, do the work off the event
loop, send."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.asking import answer_question, is_question
from bot.clip import clip
from bot.errors import NONE
from bot.feedback import report_declined
from bot.gaps import forget_gaps
from bot.guards import Refused, parent_id
from bot.passages import search_embed
from bot.respond import in_time, say
from bot.views import search_view
from index.answer import MAX_QUESTION_CHARS


@app_commands.command(name="ask", description="Ask the articles a question; the answer quotes them with citations")
@app_commands.describe(question="What you want to know", private="Only you see the answer")
async def ask(interaction: discord.Interaction, question: app_commands.Range[str, 1, 2000],
              private: bool = False) -> None:
    bot = interaction.client
    await bot.check_asker(interaction.user.id, interaction.guild_id, interaction.channel_id, parent_id(interaction.channel))
    await interaction.response.defer(thinking=True, ephemeral=private)
    reply = await answer_question(bot, question, interaction.user.id, interaction.channel, private,
                                  guild_id=interaction.guild_id)
    sent = await interaction.followup.send(embed=reply.embed, view=reply.view, ephemeral=private, allowed_mentions=NONE)
    await report_declined(bot, reply.answer, reply.answer_id, interaction.user.id, sent.jump_url)


@app_commands.command(name="search", description="Find the passages that best match some words")
@app_commands.describe(query="Words to look for", private="Only you see the results")
async def search(interaction: discord.Interaction, query: app_commands.Range[str, 1, 500],
                 private: bool = False) -> None:
    bot = interaction.client
    await bot.check_asker(interaction.user.id, interaction.guild_id, interaction.channel_id, parent_id(interaction.channel))
    await interaction.response.defer(thinking=True, ephemeral=private)
    passages = await bot.within(bot.service.search(query, bot.settings.search_k))
    search_id = await bot.db.save_search(query, passages, interaction.user.id)
    per_page = bot.settings.search_per_page
    await interaction.followup.send(embed=search_embed(query, passages, 0, per_page),
                                    view=search_view(search_id, 0, len(passages), per_page),
                                    ephemeral=private, allowed_mentions=NONE)


@app_commands.context_menu(name="Ask Footnote")
async def ask_about(interaction: discord.Interaction, message: discord.Message) -> None:
    """The message's text as the question, or as a claim to find sources for; only the person
    who asked sees the answer (they may be checking someone else's words)."""
    bot = interaction.client
    text = message_text_of(message)
    if not text:
        raise Refused("That message has no text I can ask about (only attachments or stickers?).")
    await bot.check_asker(interaction.user.id, interaction.guild_id, interaction.channel_id, parent_id(interaction.channel))
    await interaction.response.defer(thinking=True, ephemeral=True)
    question, _ = clip(text, MAX_QUESTION_CHARS)
    heading = None if is_question(question) else f"Sources for: {question}"
    reply = await answer_question(bot, question, interaction.user.id, interaction.channel, True, heading,
                                  interaction.guild_id)
    sent = await interaction.followup.send(content=f"About {message.jump_url}", embed=reply.embed, view=reply.view,
                                           ephemeral=True, allowed_mentions=NONE)
    await report_declined(bot, reply.answer, reply.answer_id, interaction.user.id, sent.jump_url)


def message_text_of(message: discord.Message) -> str:
    """What a message says: its text, else its first embed's title and description."""
    if message.content.strip():
        return " ".join(message.content.split())
    for embed in message.embeds:
        text = " ".join(filter(None, (embed.title, embed.description)))
        if text.strip():
            return " ".join(text.split())
    return ""


@app_commands.command(name="forget-me", description="Delete the questions, votes and searches you left with Footnote")
async def forget_me(interaction: discord.Interaction) -> None:
    """Everyone may: what the bot stored about you goes now, not after the retention period.
    The messages in Discord are Discord's: delete those there."""
    bot = interaction.client

    async def forget() -> dict[str, int]:
        await forget_gaps(bot, interaction.user.id)
        return await bot.db.forget_user(interaction.user.id)

    counts = await in_time(interaction, forget())
    done = ", ".join(f"{n} {name}" for name, n in counts.items())
    await say(interaction, f"Deleted what Footnote kept about you: {done}. Messages already posted stay in Discord; "
                           "delete them there if you want them gone too.")


COMMANDS = (ask, search, ask_about, forget_me)
