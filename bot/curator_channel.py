"""What reaches the curator channel: votes (with what was wrong) and questions the articles did
not cover, each with a button to add the missing article by URL. The embeds are pure functions;
`tell_curators` posts one when a channel is configured."""

from __future__ import annotations

import logging
from collections.abc import Callable

import discord

from bot.clip import clip, clip_words
from bot.config import ServerRules, rules_for
from bot.errors import NONE, error_text
from bot.guards import as_text_where_needed
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


async def curators_of(bot, answer_id: int) -> ServerRules | None:
    """The rules of the server whose curators may see this answer's question, or None: it must
    have been asked where others could see it (never a private ask, "Ask Footnote", which is
    always private, or a DM), in a server with a curator channel (its own, set with /config,
    or, in a home server, FOOTNOTE_CURATOR_CHANNEL). Each server's questions go to its own."""
    place = await bot.db.answer_place(answer_id)
    if place is None or place[1] or place[0] is None:
        return None
    rules = rules_for(bot, place[0])
    return rules if rules.curator_channel else None


async def tell_curators(bot, answer_id: int, build: Callable[[int | None], discord.Embed], user_id: int,
                        view: discord.ui.View | None = None) -> bool:
    """Post `build(who)` about answer `answer_id` to its server's curator channel, if it may be
    (`curators_of`); `who` is `user_id` where that server names people, else None. The "Add an
    article" button goes only to a home server's curators (the only ones who may add). A failure
    is logged, never shown to the person whose vote or question it was about: their own reply
    has already gone. Returns whether it was posted."""
    rules = await curators_of(bot, answer_id)
    if rules is None:
        return False
    return await send_to_channel(bot, rules, build(user_id if rules.mentions else None), view)


async def send_to_channel(bot, rules: ServerRules, embed: discord.Embed, view: discord.ui.View | None = None) -> bool:
    """Post `embed` to the curator channel of `rules` (`view` only in a home server); a failure
    is logged, and False returned."""
    channel_id = rules.curator_channel
    try:
        channel = bot.get_channel(channel_id) or bot.get_partial_messageable(channel_id)
        message = as_text_where_needed(channel, {"embed": embed})
        await channel.send(**message, view=view if rules.home else None, allowed_mentions=NONE)
        return True
    except discord.HTTPException as exc:
        log.warning("could not post to the curator channel %s (%s); check FOOTNOTE_CURATOR_CHANNEL (or the "
                    "server's /config curator-channel) and that the bot may send messages there", channel_id, exc)
    except Exception as exc:  # noqa: BLE001 - a bug here must not replace the answer already sent
        error_text(exc)  # logged with an error id
    return False
