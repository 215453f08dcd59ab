"""The one error handler: every failure becomes a friendly reply and, when unexpected, a log
line with an id the reply quotes."""

from __future__ import annotations

import logging
import uuid

import discord
from discord import app_commands

from bot.service import ServiceError
from corpus.article import ArticleError
from corpus.folder import CorpusWriteError
from index.answer import QuestionError

log = logging.getLogger("footnote.bot")
NONE = discord.AllowedMentions.none()
USER_ERRORS = (QuestionError, ServiceError, ArticleError, CorpusWriteError)


def error_text(error: BaseException) -> str:
    """What to tell the person; unexpected errors are logged with an id that the text gives."""
    original = getattr(error, "original", error)
    if isinstance(original, app_commands.CheckFailure) and str(original):
        return str(original)
    if isinstance(original, USER_ERRORS):
        return f"I couldn't do that: {original}"
    if isinstance(original, TimeoutError):
        return "That took too long, sorry. Try again in a moment, or ask something narrower."
    error_id = uuid.uuid4().hex[:8]
    log.error("error %s: %s", error_id, original, exc_info=(type(original), original, original.__traceback__))
    return f"Something went wrong on my side (error `{error_id}`). Try again; if it persists, tell an admin the id."


async def reply_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer the interaction with the error text, whatever state its response is in."""
    text = error_text(error)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)
    except discord.HTTPException:
        log.exception("could not send the error reply for interaction %s", interaction.id)
