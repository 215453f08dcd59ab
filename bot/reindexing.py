"""/reindex: one at a time, its progress and summary in a message of its own in the channel.

That message is the bot's own, not the interaction's: an interaction token lasts 15 minutes and
a build of a large collection can take longer, so progress written through the interaction would
stop being editable halfway, leaving "Re-indexing..." in the channel for good.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import discord

from bot.errors import NONE, error_text
from bot.guards import Refused
from bot.render import message_text, summary_text

log = logging.getLogger("footnote.bot")


@dataclass
class Running:
    user_id: int
    started: float  # Unix time, for Discord's <t:...:R>
    link: str = ""


async def reindex_in_channel(interaction: discord.Interaction) -> None:
    bot = interaction.client
    running = bot.reindexing
    if running is not None:
        where = f"; progress: {running.link}" if running.link else ""
        raise Refused(f"A re-index is already running (started by <@{running.user_id}> "
                      f"<t:{running.started:.0f}:R>){where}. Its summary will follow there.")
    bot.reindexing = Running(interaction.user.id, time.time())  # claimed before the first await
    try:
        await interaction.response.defer(thinking=True, ephemeral=True)
        message = await interaction.channel.send(f"Re-indexing: reading the articles… (started by "
                                                 f"<@{interaction.user.id}>)", allowed_mentions=NONE)
        bot.reindexing.link = message.jump_url
        await interaction.edit_original_response(content=f"Started: progress and the summary are in "
                                                         f"{message.jump_url}.", allowed_mentions=NONE)
        await build_into(bot, message)
    finally:
        bot.reindexing = None


async def build_into(bot, message: discord.Message) -> None:
    """Run the re-index, showing its progress and then its summary (or why it failed) in `message`."""
    async def progress(text: str) -> None:
        try:
            await message.edit(content=message_text(text), allowed_mentions=NONE)
        except discord.HTTPException as exc:  # progress is a courtesy; the build goes on
            log.warning("could not show re-index progress (%s)", exc)

    try:
        text = summary_text(await bot.service.reindex(progress))
    except Exception as exc:  # noqa: BLE001 - the failure is reported where the progress was
        text = message_text(f"Re-index failed. {error_text(exc)}")
    try:
        await message.edit(content=text, allowed_mentions=NONE)
    except discord.NotFound:  # someone deleted the progress message: the summary gets a new one
        await message.channel.send(text, allowed_mentions=NONE)
