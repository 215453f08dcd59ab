"""/reindex: one at a time, its progress and summary in a message of its own in the channel.

That message is the bot's own, not the interaction's: an interaction token lasts 15 minutes and
a build of a large collection can take longer, so progress written through the interaction would
stop being editable halfway, leaving "Re-indexing..." in the channel for good.
"""

from __future__ import annotations

import logging
import time
import uuid
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
    guild_id: int | None = None
    link: str = ""


async def reindex_in_channel(interaction: discord.Interaction) -> None:
    bot = interaction.client
    running = bot.reindexing
    if running is not None:
        if running.guild_id != interaction.guild_id:  # who and where are that server's business
            raise Refused("A re-index is already running (started in another server). Try again when it "
                          "has finished.")
        where = f"; progress: {running.link}" if running.link else ""
        raise Refused(f"A re-index is already running (started by <@{running.user_id}> "
                      f"<t:{running.started:.0f}:R>){where}. Its summary will follow there.")
    bot.reindexing = Running(interaction.user.id, time.time(), interaction.guild_id)  # claimed before the first await
    try:
        await interaction.response.defer(thinking=True, ephemeral=True)
        try:
            message = await interaction.channel.send(f"Re-indexing: reading the articles… (started by "
                                                     f"<@{interaction.user.id}>)", allowed_mentions=NONE)
        except discord.Forbidden:  # the bot may not post here: progress goes to the curator alone
            log.warning("no permission to post /reindex progress in channel %s", interaction.channel_id)
            private = _Private(interaction)
            await private.edit("Re-indexing: reading the articles… (I may not post in this channel, so progress "
                               "and the summary show here)")
            await build_into(bot, private, interaction)
            return
        bot.reindexing.link = message.jump_url
        await interaction.edit_original_response(content=f"Started: progress and the summary are in "
                                                         f"{message.jump_url}.", allowed_mentions=NONE)
        await build_into(bot, message, interaction)
    finally:
        bot.reindexing = None


class _Private:
    """The curator's own "thinking…" reply standing in for the public progress message."""

    def __init__(self, interaction: discord.Interaction):
        self.interaction = interaction
        self.channel = None

    async def edit(self, content: str, allowed_mentions=NONE) -> None:
        await self.interaction.edit_original_response(content=content, allowed_mentions=allowed_mentions)


async def build_into(bot, message, interaction: discord.Interaction | None = None) -> None:
    """Run the re-index, showing its progress and then its summary in `message`. A failure is
    told there with an error id only (its reason may hold the server's paths); the reason goes to
    the log and, privately, to the curator who asked."""
    async def progress(text: str) -> None:
        try:
            await message.edit(content=message_text(text), allowed_mentions=NONE)
        except discord.HTTPException as exc:  # progress is a courtesy; the build goes on
            log.warning("could not show re-index progress (%s)", exc)

    try:
        text = summary_text(await bot.service.reindex(progress))
    except Exception as exc:  # noqa: BLE001 - the failure is reported where the progress was
        error_id = uuid.uuid4().hex[:8]
        log.error("re-index failed (error %s): %s", error_id, exc, exc_info=exc)
        text = message_text(f"Re-index failed (error `{error_id}`); the previous index is still answering. "
                            "The reason is in the bot's log under that id.")
        await _tell_privately(interaction, f"Re-index failed (error `{error_id}`). {error_text(exc)}")
    try:
        await message.edit(content=text, allowed_mentions=NONE)
    except discord.HTTPException as exc:
        channel = getattr(message, "channel", None)
        if isinstance(exc, discord.NotFound) and channel is not None:  # the progress message was deleted
            await channel.send(text, allowed_mentions=NONE)
        else:  # the curator's private reply outlived its 15-minute token, say
            log.warning("could not show the re-index summary (%s): %s", exc, text)


async def _tell_privately(interaction: discord.Interaction | None, text: str) -> None:
    if interaction is None:
        return
    try:
        await interaction.followup.send(message_text(text), ephemeral=True, allowed_mentions=NONE)
    except discord.HTTPException as exc:  # the token may have run out on a long build
        log.warning("could not tell the curator why the re-index failed (%s)", exc)
