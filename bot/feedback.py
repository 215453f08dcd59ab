"""👍 and 👎 under answers, the short form 👎 opens, and the curator channel's "Add an article by
URL". Forms (modals) are handled by the bot's interaction listener from their custom id, so a
form left open while the bot restarts still works when it is sent."""

from __future__ import annotations

import re

import discord

from bot.adding import add_from_url
from bot.curator_channel import REASONS, curators_of, declined_embed, tell_curators, vote_embed
from bot.errors import NONE, Reported
from bot.gaps import keep_thumbs_down
from bot.guards import check_curator
from bot.respond import in_time, say

VOTES = {"up": 1, "down": -1}
WHY = re.compile(r"footnote:why:(?P<answer>\d+)")
ADD_URL = re.compile(r"footnote:addurl:(?P<answer>\d+)")


class VoteButton(Reported, discord.ui.DynamicItem[discord.ui.Button], template=r"footnote:vote:(?P<vote>up|down):(?P<answer>\d+)"):
    def __init__(self, vote: str, answer_id: int):
        self.vote = vote
        self.answer_id = answer_id
        super().__init__(discord.ui.Button(style=discord.ButtonStyle.secondary, emoji="👍" if vote == "up" else "👎",
                                           custom_id=f"footnote:vote:{vote}:{answer_id}"))

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match[str]):
        return cls(match["vote"], int(match["answer"]))

    async def run(self, interaction: discord.Interaction) -> None:
        bot = interaction.client
        if self.vote == "down":  # the form first (it cannot follow a deferral); the vote counts even if it is closed
            await interaction.response.send_modal(WhyForm(self.answer_id))
            if await bot.db.record_feedback(self.answer_id, interaction.user.id, VOTES[self.vote]):
                await keep_thumbs_down(bot, self.answer_id, interaction.user.id)
        elif not await in_time(interaction, bot.db.record_feedback(self.answer_id, interaction.user.id, VOTES[self.vote])):
            await say(interaction, "That answer is no longer stored, so the vote was not kept.")
        else:
            await say(interaction, "Thanks, noted.")
            link = interaction.message.jump_url if interaction.message else None
            answer = await bot.db.answer(self.answer_id)
            await tell_curators(bot, self.answer_id, lambda who: vote_embed(answer, 1, who, link), interaction.user.id)


class WhyForm(discord.ui.Modal, title="What was wrong with this answer?"):
    """What was wrong, and optionally the article that should have been cited."""

    def __init__(self, answer_id: int):
        super().__init__(custom_id=f"footnote:why:{answer_id}", timeout=600)
        options = [discord.SelectOption(label=label, value=value) for value, label in REASONS.items()]
        self.add_item(discord.ui.Label(text="What was wrong?", component=discord.ui.Select(
            custom_id="reason", options=options, min_values=1, max_values=1)))
        self.add_item(discord.ui.Label(
            text="Article that should have been cited", description="Optional: its URL or its id",
            component=discord.ui.TextInput(custom_id="article", required=False, max_length=300)))


class AddUrlButton(Reported, discord.ui.DynamicItem[discord.ui.Button], template=r"footnote:addurl:(?P<answer>\d+)"):
    def __init__(self, answer_id: int):
        self.answer_id = answer_id
        super().__init__(discord.ui.Button(label="Add an article by URL", style=discord.ButtonStyle.primary,
                                           custom_id=f"footnote:addurl:{answer_id}", emoji="➕"))

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match[str]):
        return cls(int(match["answer"]))

    async def run(self, interaction: discord.Interaction) -> None:
        check_curator(interaction)
        await interaction.response.send_modal(UrlForm(self.answer_id))


class UrlForm(discord.ui.Modal, title="Add an article by URL"):
    def __init__(self, answer_id: int):
        super().__init__(custom_id=f"footnote:addurl:{answer_id}", timeout=600)
        self.add_item(discord.ui.Label(text="The article's web address", component=discord.ui.TextInput(
            custom_id="url", placeholder="https://...", max_length=2000)))
        self.add_item(discord.ui.Label(
            text="Its publication date", description="Only if the page does not state it: YYYY-MM-DD",
            component=discord.ui.TextInput(custom_id="date", required=False, min_length=10, max_length=10)))


def add_article_view(answer_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AddUrlButton(answer_id))
    return view


def submitted(interaction: discord.Interaction) -> dict[str, str | list[str]]:
    """A form's values by custom id, read from the submission itself."""
    values: dict[str, str | list[str]] = {}
    stack = list((interaction.data or {}).get("components", []))
    while stack:
        part = stack.pop()
        stack += part.get("components", []) + ([part["component"]] if "component" in part else [])
        if "custom_id" in part:
            values[part["custom_id"]] = part.get("values", part.get("value", ""))
    return values


async def handle_form(interaction: discord.Interaction) -> bool:
    """Answer a Footnote form's submission; False when the custom id is not one of ours."""
    custom_id = (interaction.data or {}).get("custom_id", "")
    if match := WHY.fullmatch(custom_id):
        await explain_vote(interaction, int(match["answer"]), submitted(interaction))
    elif match := ADD_URL.fullmatch(custom_id):
        check_curator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        values = submitted(interaction)
        text = await add_from_url(interaction.client, str(values.get("url", "")), str(values.get("date") or ""))
        await interaction.edit_original_response(content=text, allowed_mentions=NONE)
    else:
        return False
    return True


async def explain_vote(interaction: discord.Interaction, answer_id: int, values: dict) -> None:
    bot = interaction.client
    reason = (values.get("reason") or ["other"])[0]
    suggested = str(values.get("article") or "").strip() or None

    async def keep() -> tuple[bool, bool]:  # (kept, whether curators will be told)
        if not await bot.db.explain_feedback(answer_id, interaction.user.id, reason, suggested):
            return False, False
        return True, await curators_of(bot, answer_id) is not None

    kept, told = await in_time(interaction, keep())
    if not kept:
        await say(interaction, "That answer is no longer stored, so the vote was not kept.")
        return
    await say(interaction, "Thanks: passed on to the curators." if told else "Thanks, noted.")
    link = interaction.message.jump_url if interaction.message else None
    answer = await bot.db.answer(answer_id)
    await tell_curators(bot, answer_id, lambda who: vote_embed(answer, -1, who, link, reason, suggested),
                        interaction.user.id, add_article_view(answer_id))


async def report_declined(bot, answer: dict, answer_id: int, user_id: int, link: str | None) -> None:
    """Tell the curators about a question the articles did not cover."""
    if answer.get("abstained"):
        await tell_curators(bot, answer_id, lambda who: declined_embed(answer, who, link), user_id,
                            add_article_view(answer_id))


FEEDBACK_ITEMS = (VoteButton, AddUrlButton)
