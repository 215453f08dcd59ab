"""The one error handler: every failure becomes a friendly reply and, when unexpected, a log
line with an id the reply quotes."""

from __future__ import annotations

import logging
import uuid

import discord
from discord import app_commands

from bot.render import message_text
from bot.footnote import ServiceError
from corpus.article import ArticleError
from corpus.feeds import FeedsFileError
from corpus.folder import CorpusWriteError
from index.answer import QuestionError

log = logging.getLogger("footnote.bot")
NONE = discord.AllowedMentions.none()
USER_ERRORS = (QuestionError, ServiceError, ArticleError, CorpusWriteError, FeedsFileError)
ALREADY_ANSWERED, UNKNOWN_INTERACTION = 40060, 10062


def error_text(error: BaseException) -> str:
    """What to tell the person (at most one message long); unexpected errors are logged with an
    id that the text gives."""
    original = getattr(error, "original", error)
    if isinstance(original, app_commands.CheckFailure) and str(original):
        return message_text(str(original))
    if isinstance(original, USER_ERRORS):
        return message_text(f"I couldn't do that: {original}")
    if isinstance(original, TimeoutError):
        return "That took too long, sorry. Try again in a moment, or ask something narrower."
    error_id = uuid.uuid4().hex[:8]
    log.error("error %s: %s", error_id, original, exc_info=(type(original), original, original.__traceback__))
    return f"Something went wrong on my side (error `{error_id}`). Try again; if it persists, tell an admin the id."


def not_ours(interaction: discord.Interaction, error: BaseException) -> bool:
    """True (and logged) when Discord no longer lets this process answer the interaction."""
    original = getattr(error, "original", error)
    code = getattr(original, "code", None)
    if code == ALREADY_ANSWERED:
        log.warning("another process answered interaction %s first: is a second `footnote bot` running with "
                    "the same token? Stop one of them", interaction.id)
    elif code == UNKNOWN_INTERACTION:
        log.warning("interaction %s was answered too late (Discord waits 3 s) or is unknown", interaction.id)
    return code in (ALREADY_ANSWERED, UNKNOWN_INTERACTION)


async def reply_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer the interaction with the error text, whatever state its response is in.

    After a deferral, Discord shows the next message where "thinking..." was, as publicly or
    privately as the deferral was; so the error replaces it, and says so no more privately than
    Discord will show it.
    """
    if not_ours(interaction, error):
        return
    text = error_text(error)
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)
        elif interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            await interaction.edit_original_response(content=text, embeds=[], view=None, allowed_mentions=NONE)
        else:
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)
    except discord.HTTPException:
        log.exception("could not send the error reply for interaction %s", interaction.id)


class Reported:
    """A mixin for dynamic buttons: their failures go through the one error handler."""

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.run(interaction)
        except Exception as exc:  # noqa: BLE001 - every click gets an answer
            await reply_error(interaction, exc)

    async def run(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError
