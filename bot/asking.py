"""One question, asked in a channel or a Footnote thread: the path /ask and mentions share."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import discord

from bot.render import answer_embed
from bot.views import answer_view

_MENTION = re.compile(r"<@!?\d+>")


@dataclass
class Reply:
    answer: dict
    answer_id: int
    embed: discord.Embed
    view: discord.ui.View


async def answer_question(bot, question: str, user_id: int, channel_id: int | None,
                          private: bool = False) -> Reply:
    """Ask the service (with the thread's history inside a Footnote thread), store the answer
    for its buttons, and render it."""
    in_thread = bot.store.is_thread(channel_id)
    history = bot.store.history(channel_id) if in_thread else ()
    answer = await asyncio.wait_for(bot.service.ask(question, history, bot.settings.k),
                                    timeout=bot.settings.answer_timeout_s)
    answer_id = bot.store.save_answer(answer, user_id, channel_id)
    if in_thread:
        bot.store.add_turn(channel_id, answer)
    return Reply(answer, answer_id, answer_embed(answer), answer_view(answer_id, follow_up=not (in_thread or private)))


def mention_question(content: str) -> str:
    """The question in a message that mentions the bot: the message without the mentions."""
    return " ".join(_MENTION.sub(" ", content).split())
