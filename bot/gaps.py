"""Gaps on Discord: declined questions and 👎 answers kept in the gap store (index/gaps), and
once a week each server's curator channel gets that server's own gaps, grouped by topic.

What is kept says where it was asked and whether it was private; who asked only where the
server names people in curator posts (/config mentions). A weekly post shows one server's
questions and only those asked openly: never a private ask, a DM, or another server's."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import discord

from bot.clip import clip
from bot.config import rules_for
from bot.curator_channel import send_to_channel
from bot.markdown import escape
from bot.render import ABSTAIN_COLOUR, FIELD_VALUE, FIELDS, TOTAL, date_of, label, linked_title
from index.gaps import Gap, Gaps, Place, record_answer

log = logging.getLogger("footnote.bot")
WEEK = dt.timedelta(days=7)
CHECK_EVERY_S = 3600.0  # how often the bot looks whether a server's weekly post is due
SHOWN = 10  # gaps per post, most asked first
QUESTIONS_SHOWN = 3  # questions per gap


async def keep_gap(bot, answer: dict, answer_id: int, kind: str, guild_id: int | None, private: bool,
                   user_id: int | None) -> None:
    """Keep a declined answer (`kind` "declined"; others are ignored) or a 👎 one (`kind` "down")."""
    if bot.gap_db is None:
        return
    who = user_id if guild_id is not None and rules_for(bot, guild_id).mentions else None
    await bot.gap_db.call(record_answer, answer, "discord", kind, guild_id=guild_id, private=private,
                          user_id=who, answer_id=answer_id)


async def keep_thumbs_down(bot, answer_id: int, voter_id: int) -> None:
    """Keep a 👎 answer as a gap, with where its question was asked (the voter is not kept)."""
    answer, place = await bot.db.answer(answer_id), await bot.db.answer_place(answer_id)
    if answer is not None and place is not None:
        await keep_gap(bot, answer, answer_id, "down", place[0], place[1], None)


async def forget_gaps(bot, user_id: int) -> None:
    """/forget-me: the gaps of a person's questions go with them."""
    if bot.gap_db is not None:
        await bot.gap_db.forget_answers(await bot.db.answers_of(user_id))


def gaps_embed(gaps: list[Gap], days: int) -> discord.Embed:
    """This server's gaps of the last `days` days, most asked first, within Discord's limits."""
    asked = sum(g.count for g in gaps)
    embed = discord.Embed(
        title=f"Gaps: {asked} question{'s' * (asked != 1)} in {days} days the articles did not answer",
        colour=ABSTAIN_COLOUR,
        description="Grouped by topic, most asked first, with the closest articles the collection has. "
                    "A gap closes by itself once a new article answers it.")
    room = TOTAL - len(embed.title) - len(embed.description) - 200
    for gap in gaps[:min(SHOWN, FIELDS)]:
        name = label(gap.label, 200)
        value = gap_text(gap)
        if len(name) + len(value) > room:
            break
        room -= len(name) + len(value)
        embed.add_field(name=name, value=value, inline=False)
    if len(gaps) > len(embed.fields):
        embed.set_footer(text=f"{len(gaps) - len(embed.fields)} more gaps: footnote gaps, or the Gaps page")
    return embed


def gap_text(gap: Gap) -> str:
    last = int(dt.datetime.fromisoformat(gap.last_asked).timestamp())
    lines = [f"Asked {gap.count} time{'s' * (gap.count != 1)}, last <t:{last}:R>"]
    lines += [f"> {escape(q['question'])[:200]}" for q in gap.questions[:QUESTIONS_SHOWN]]
    if gap.nearest:
        lines.append("Closest: " + "; ".join(f"{linked_title(c, 80)} ({date_of(c)})" for c in gap.nearest))
    return clip("\n".join(lines), FIELD_VALUE)[0]


async def post_gaps(bot, now: dt.datetime | None = None) -> list[int]:
    """Post each server's own open gaps of the past week to its curator channel, where the week
    since its last post has passed; returns the servers posted to."""
    if bot.gap_list is None:
        return []
    now = now or dt.datetime.now(dt.timezone.utc)
    posted = []
    for guild in list(bot.guilds):
        rules = rules_for(bot, guild.id)
        last = await bot.db.last_post(guild.id, "gaps")
        if not rules.curator_channel or (last is not None and now - last < WEEK):
            continue
        gaps = await asyncio.to_thread(bot.gap_list.list, Place(guild=guild.id, shared=True), now - WEEK)
        if gaps and await send_to_channel(bot, rules, gaps_embed(gaps, WEEK.days)):
            posted.append(guild.id)
        await bot.db.set_last_post(guild.id, "gaps", now)
    return posted


async def weekly(bot) -> None:
    """Run `post_gaps` every CHECK_EVERY_S for as long as the bot runs."""
    while not bot.is_closed():
        try:
            await post_gaps(bot)
        except Exception:  # noqa: BLE001 - a failed post is logged and tried again next time
            log.exception("the weekly gaps post failed")
        await asyncio.sleep(CHECK_EVERY_S)


def gap_list_for(service, store) -> Gaps | None:
    """Gap lists answered by the service's own answerer; None when answers come from an API."""
    answerer = getattr(service, "answerer", None)
    return Gaps(store, answerer) if answerer is not None and store is not None else None
