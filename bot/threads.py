"""The thread on an answer, where follow-ups keep the conversation's context: one per answer."""

from __future__ import annotations

import logging

import discord

from bot.clip import clip_words
from bot.errors import NONE
from bot.guards import Refused

log = logging.getLogger("footnote.bot")
THREAD_EXISTS = 160004  # Discord: "A thread has already been created for this message"
THREAD_NAME = 90  # Discord takes 1 to 100 characters


async def thread_for(bot, message: discord.Message, answer_id: int) -> int:
    """The thread on the answer `message`: the one Footnote opened, else a new one, else the one
    someone else opened on it (Discord gives a message's thread the message's id)."""
    known = await bot.db.thread_of(answer_id)
    if known is not None:
        return known
    answer = await bot.db.answer(answer_id)
    question = answer["question"] if answer else "Follow-up"
    try:
        thread = await message.create_thread(name=clip_words(question, THREAD_NAME), auto_archive_duration=1440)
    except discord.Forbidden:
        raise Refused("I'm not allowed to open threads in this channel (Create Public Threads); ask a server "
                      "admin to allow it, or ask your follow-up with /ask here.") from None
    except discord.HTTPException as exc:
        if exc.code != THREAD_EXISTS:
            raise
        thread_id = message.id
    else:
        thread_id = thread.id
        try:
            await thread.send("Ask follow-ups here with `/ask` or by mentioning me; I'll remember this thread's "
                              "earlier questions.", allowed_mentions=NONE)
        except discord.Forbidden:  # no Send Messages in Threads: the thread works without its greeting
            log.warning("no permission to post in the new thread %s", thread_id)
    await bot.db.open_thread(thread_id, answer_id)
    return thread_id
