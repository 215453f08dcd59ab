"""Discord waits 3 s for an interaction's first response; nothing slow may stand before it.

A handler that must read or write the bot's database before it knows what to say awaits that
work through `in_time`: when the work is quick, the reply goes out as usual; when the disk is
slow (or other calls are queued before it), the interaction is acknowledged after 1.5 s and the
reply follows through `say`, where Discord shows the acknowledgement.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import discord

from bot.errors import NONE

T = TypeVar("T")
FIRST_RESPONSE_BUDGET_S = 1.5  # half of Discord's 3 s: the rest is the round trip and a busy loop


async def in_time(interaction: discord.Interaction, work: Awaitable[T], *, update: bool = False) -> T:
    """The result of `work`; if it is not done within FIRST_RESPONSE_BUDGET_S, the interaction is
    acknowledged meanwhile: privately "thinking", or for `update` (a button whose message will
    change) silently. Replies then go through `say`."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=FIRST_RESPONSE_BUDGET_S)
    if not done and not interaction.response.is_done():
        if update:
            await interaction.response.defer()
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)
    return await task


async def say(interaction: discord.Interaction, content: str | None = None, **kwargs) -> None:
    """A private reply that pings no one: the first response, or, after `in_time` acknowledged,
    where the acknowledgement showed."""
    kwargs.setdefault("allowed_mentions", NONE)
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


async def privately(interaction: discord.Interaction, work: Awaitable[T], text: Callable[[T], str],
                    timed: bool = True) -> None:
    """Defer privately, await `work` (within the answer timeout unless not `timed`), and put
    `text(result)` where Discord shows "thinking"."""
    await interaction.response.defer(thinking=True, ephemeral=True)
    result = await (interaction.client.within(work) if timed else work)
    await interaction.edit_original_response(content=text(result), allowed_mentions=NONE)
