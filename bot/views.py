"""Buttons under answers and searches. Their custom ids carry what they act on, and they are
registered as dynamic items, so they keep working after a restart."""

from __future__ import annotations

import re

import discord

from bot.errors import NONE, Reported
from bot.feedback import VoteButton
from bot.guards import Refused, can_hold_threads
from bot.passages import search_embed, sources_embeds
from bot.respond import in_time, say
from bot.threads import thread_for


class SourcesButton(Reported, discord.ui.DynamicItem[discord.ui.Button], template=r"footnote:sources:(?P<answer>\d+)"):
    def __init__(self, answer_id: int):
        self.answer_id = answer_id
        super().__init__(discord.ui.Button(label="Show sources", style=discord.ButtonStyle.secondary,
                                           custom_id=f"footnote:sources:{answer_id}", emoji="📄"))

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match[str]):
        return cls(int(match["answer"]))

    async def run(self, interaction: discord.Interaction) -> None:
        answer = await in_time(interaction, interaction.client.db.answer(self.answer_id))
        if answer is None:
            await say(interaction, "That answer is no longer stored; ask again.")
            return
        first, *rest = sources_embeds(answer)
        await say(interaction, embed=first)
        for embed in rest:
            await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NONE)


class ThreadButton(Reported, discord.ui.DynamicItem[discord.ui.Button], template=r"footnote:thread:(?P<answer>\d+)"):
    def __init__(self, answer_id: int):
        self.answer_id = answer_id
        super().__init__(discord.ui.Button(label="Ask a follow-up", style=discord.ButtonStyle.primary,
                                           custom_id=f"footnote:thread:{answer_id}", emoji="🧵"))

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match[str]):
        return cls(int(match["answer"]))

    async def run(self, interaction: discord.Interaction) -> None:
        if interaction.message is None or not can_hold_threads(interaction.channel):
            raise Refused("Threads can't be opened here; ask your follow-up with /ask in this channel.")
        # Acknowledge first: creating a thread is a round trip, and Discord waits 3 s for the answer.
        await interaction.response.defer(ephemeral=True, thinking=True)
        thread_id = await thread_for(interaction.client, interaction.message, self.answer_id)
        await interaction.edit_original_response(
            content=f"Follow-ups go in <#{thread_id}>: ask there with `/ask` or by mentioning me, and I'll keep "
                    "the context.", allowed_mentions=NONE)


class PageButton(Reported, discord.ui.DynamicItem[discord.ui.Button], template=r"footnote:page:(?P<search>\d+):(?P<page>\d+):(?P<dir>prev|next)"):
    def __init__(self, search_id: int, page: int, direction: str, disabled: bool = False):
        self.search_id, self.page, self.direction = search_id, page, direction
        super().__init__(discord.ui.Button(
            label="Previous" if direction == "prev" else "Next", style=discord.ButtonStyle.secondary,
            custom_id=f"footnote:page:{search_id}:{page}:{direction}", disabled=disabled))

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match[str]):
        return cls(int(match["search"]), int(match["page"]), match["dir"])

    async def run(self, interaction: discord.Interaction) -> None:
        bot = interaction.client
        found = await in_time(interaction, bot.db.search(self.search_id), update=True)
        if found is None:
            await say(interaction, "That search is no longer stored; search again.")
            return
        query, passages, owner = found
        per_page = bot.settings.search_per_page
        embed = search_embed(query, passages, self.page, per_page)
        view = search_view(self.search_id, self.page, len(passages), per_page)
        if owner is not None and interaction.user.id != owner:  # someone else's results: a page of one's own
            await say(interaction, embed=embed, view=view)
        elif interaction.response.is_done():  # acknowledged while the search was read: edit the message now
            await interaction.edit_original_response(embed=embed, view=view)
        else:
            await interaction.response.edit_message(embed=embed, view=view)


def answer_view(answer_id: int, follow_up: bool = True) -> discord.ui.View:
    """Show sources, Ask a follow-up (only where a thread can be opened), 👍 and 👎."""
    view = discord.ui.View(timeout=None)
    view.add_item(SourcesButton(answer_id))
    if follow_up:
        view.add_item(ThreadButton(answer_id))
    view.add_item(VoteButton("up", answer_id))
    view.add_item(VoteButton("down", answer_id))
    return view


def search_view(search_id: int, page: int, total: int, per_page: int) -> discord.ui.View:
    """Previous and Next, each carrying the page it leads to."""
    pages = max((total + per_page - 1) // per_page, 1)
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton(search_id, max(page - 1, 0), "prev", disabled=page <= 0))
    view.add_item(PageButton(search_id, min(page + 1, pages - 1), "next", disabled=page >= pages - 1))
    return view
