"""The Discord client: slash commands, buttons, mentions, one error handler. Everything it uses
(the Footnote service, its store, its settings, the HTTP client for fetching pages) is built
by the entry point and passed in."""

from __future__ import annotations

import time
from collections.abc import Callable

import discord
import httpx
from discord import app_commands

from bot import commands, curator
from bot.asking import answer_question, mention_question
from bot.errors import NONE, error_text, reply_error
from bot.guards import Cooldown, check_channel, parent_id
from bot.service import Footnote
from bot.settings import BotSettings
from bot.store import BotStore
from bot.views import DYNAMIC_ITEMS



def intents() -> discord.Intents:
    """Guilds and guild messages (mentions arrive with their content); nothing privileged."""
    return discord.Intents(guilds=True, guild_messages=True, dm_messages=True)


class FootnoteBot(discord.Client):
    def __init__(self, service: Footnote, store: BotStore, settings: BotSettings,
                 fetcher: httpx.AsyncClient | None = None, clock: Callable[[], float] = time.monotonic,
                 **options):
        super().__init__(intents=intents(), allowed_mentions=NONE, **options)
        self.service = service
        self.store = store
        self.settings = settings
        self.fetcher = fetcher
        self.cooldown = Cooldown(settings.cooldown_uses, settings.cooldown_s, clock)
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = reply_error
        for command in (commands.ask, commands.search, *curator.COMMANDS):
            self.tree.add_command(command)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        if self.fetcher is None:
            self.fetcher = httpx.AsyncClient(timeout=20.0, headers={"User-Agent": "Footnote (Discord bot)"})

    def check_asker(self, user_id: int, guild_id: int | None, channel_id: int | None, parent: int | None) -> None:
        """Raise Refused outside the guild's allowed channels or when the user is on cooldown."""
        if not self.store.is_thread(channel_id):  # a Footnote thread was opened where asking is allowed
            check_channel(self.settings.allowed_channels, guild_id, channel_id, parent)
        self.cooldown.check(user_id)

    async def on_message(self, message: discord.Message) -> None:
        """A message that mentions the bot is a question (in a Footnote thread, a follow-up)."""
        if message.author.bot or self.user is None or self.user not in message.mentions:
            return
        question = mention_question(message.content)
        try:
            self.check_asker(message.author.id, message.guild.id if message.guild else None,
                             message.channel.id, parent_id(message.channel))
            if not question:
                await message.reply("Ask me something after the mention, e.g. \"@Footnote when does the line open?\"",
                                    mention_author=False, allowed_mentions=NONE)
                return
            async with message.channel.typing():
                reply = await answer_question(self, question, message.author.id, message.channel.id)
            await message.reply(embed=reply.embed, view=reply.view, mention_author=False, allowed_mentions=NONE)
        except Exception as exc:  # noqa: BLE001 - the one error handler decides what to say
            await message.reply(error_text(exc), mention_author=False, allowed_mentions=NONE)

    async def close(self) -> None:
        await self.service.close()
        if self.fetcher is not None:
            await self.fetcher.aclose()
        self.store.close()
        await super().close()
