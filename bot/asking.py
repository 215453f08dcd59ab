"""One question, asked in a channel or a Footnote thread: the path /ask, mentions and the
"Ask Footnote" menu share."""

from __future__ import annotations

import re
from dataclasses import dataclass

import discord

from bot.gaps import keep_gap
from bot.guards import can_hold_threads, seen_by_everyone
from bot.render import answer_embed
from bot.views import answer_view

_MENTION = re.compile(r"<@!?\d+>")
_QUESTION_WORD = re.compile(r"(who|what|when|where|why|how|which|whose|whom|is|are|was|were|do|does|did|can|"
                            r"could|will|would|should|has|have|had)\b", re.IGNORECASE)


@dataclass
class Reply:
    answer: dict
    answer_id: int
    embed: discord.Embed
    view: discord.ui.View


async def answer_question(bot, question: str, user_id: int, channel, private: bool = False,
                          heading: str | None = None, guild_id: int | None = None) -> Reply:
    """Ask the service (with the thread's history inside a Footnote thread), store the answer
    for its buttons, and render it. "Ask a follow-up" is offered only where Discord can open a
    thread on the answer, and not on a private one."""
    channel_id = getattr(channel, "id", None)
    in_thread = bot.store.is_thread(channel_id)
    history = await bot.db.history(channel_id) if in_thread else ()
    answer = await bot.within(bot.service.ask(question, history, bot.settings.k))
    # Kept as private (never shown to curators) unless asked openly where the whole server reads.
    private_here = private or not seen_by_everyone(channel)
    answer_id = await bot.db.save_answer(answer, user_id, channel_id, guild_id, private_here)
    await keep_gap(bot, answer, answer_id, "declined", guild_id, private_here, user_id)
    if in_thread and not private:  # a private question is not the thread's: it never steers others' follow-ups
        await bot.db.add_turn(channel_id, answer, user_id)
    bot.tidy_store()
    view = answer_view(answer_id, follow_up=not private and can_hold_threads(channel))
    return Reply(answer, answer_id, answer_embed(answer, heading), view)


def mention_question(content: str) -> str:
    """The question in a message that mentions the bot: the message without the mentions."""
    return " ".join(_MENTION.sub(" ", content).split())


def is_question(text: str) -> bool:
    """A question ("...?", or starting like one) rather than a claim to find sources for."""
    text = text.strip()
    return text.endswith("?") or "?" in text[:300] or bool(_QUESTION_WORD.match(text))
