"""What reaches the curator channel: votes (with what was wrong) and questions the articles did
not cover, each with a button to add the missing article by URL. The embeds are pure functions;
`tell_curators` posts one when a channel is configured."""

from __future__ import annotations

import logging

import discord

from bot.clip import clip, clip_words
from bot.errors import NONE, error_text
from bot.markdown import escape
from bot.render import ABSTAIN_COLOUR, ANSWER_COLOUR, FIELD_VALUE, date_of, footer, linked_title

log = logging.getLogger("footnote.bot")
REASONS = {"wrong_article": "Wrong article", "missing_answer": "Missing answer", "outdated": "Outdated",
           "other": "Other"}


def asked(answer: dict, user_id: int | None, link: str | None) -> str:
    """Who asked what, where: the description of every curator post."""
    where = f" ([the answer]({link}))" if link else ""
    who = f"<@{user_id}> asked" if user_id else "Asked"
    return clip(f"{who}{where}:\n> {escape(answer['question'])}", 4000)[0]


def vote_embed(answer: dict, vote: int, user_id: int, link: str | None, reason: str | None = None,
               suggested: str | None = None) -> discord.Embed:
    """A 👍 or 👎 on an answer, with what was wrong and what should have been cited."""
    embed = discord.Embed(title=f"{'👍' if vote > 0 else '👎'} on an answer", colour=ANSWER_COLOUR,
                          description=asked(answer, user_id, link))
    if reason:
        embed.add_field(name="What was wrong", value=REASONS.get(reason, escape(reason)), inline=True)
    if suggested:
        embed.add_field(name="Should have cited", value=clip_words(escape(suggested), FIELD_VALUE), inline=True)
    embed.add_field(name="The answer", value=clip(escape(answer.get("text") or "(none)"), 600)[0], inline=False)
    embed.set_footer(text=footer(answer))
    return embed


def declined_embed(answer: dict, user_id: int | None, link: str | None) -> discord.Embed:
    """A question the articles did not cover, with the closest articles."""
    embed = discord.Embed(title="Declined: the articles don't cover this", colour=ABSTAIN_COLOUR,
                          description=asked(answer, user_id, link))
    related = answer.get("related", [])[:5]
    if related:
        lines = "\n".join(f"• {linked_title(c, 120)} — {date_of(c)}" for c in related)
        embed.add_field(name="Closest articles", value=clip(lines, FIELD_VALUE)[0], inline=False)
    embed.set_footer(text=footer(answer))
    return embed


async def reportable(bot, answer_id: int) -> bool:
    """Whether the curators may see an answer's question: asked in a home server, where others
    could see it too. A private ask, "Ask Footnote" (always private), a DM and another server's
    question never reach the curator channel."""
    place = await bot.db.answer_place(answer_id)
    if place is None:
        return False
    guild_id, private = place
    return not private and guild_id is not None and guild_id in bot.settings.discord_curator_guilds


def shown_user(bot, user_id: int | None) -> int | None:
    """Who asked or voted, named in a curator post only when the home server opted in."""
    return user_id if bot.settings.curator_mentions else None


async def tell_curators(bot, answer_id: int, embed: discord.Embed, view: discord.ui.View | None = None) -> None:
    """Post about answer `answer_id` to the curator channel, if there is one and the answer may be
    reported (`reportable`). A failure is logged, never shown to the person whose vote or
    question it was about: their own reply has already gone."""
    channel_id = bot.settings.curator_channel
    if channel_id is None or not await reportable(bot, answer_id):
        return
    try:
        await bot.get_partial_messageable(channel_id).send(embed=embed, view=view, allowed_mentions=NONE)
    except discord.HTTPException as exc:
        log.warning("could not post to the curator channel %s (%s); check FOOTNOTE_CURATOR_CHANNEL and that "
                    "the bot may send messages there", channel_id, exc)
    except Exception as exc:  # noqa: BLE001 - a bug here must not replace the answer already sent
        error_text(exc)  # logged with an error id
