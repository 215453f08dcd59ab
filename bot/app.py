"""The Discord client: slash commands, buttons, forms, mentions, one error handler. Everything it
uses (the Footnote service, its store, its settings, the HTTP client and resolver for fetching
pages) is built by the entry point and passed in."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable

import discord
from discord import app_commands

from bot import commands, curator_commands
from bot import config as server_config
from bot.config import rules_for
from bot.asking import answer_question, mention_question
from bot.errors import NONE, error_text, reply_error
from bot.feedback import FEEDBACK_ITEMS, handle_form, report_declined
from bot.gaps import gap_list_for, weekly
from bot.guards import Cooldown, Hush, Refused, as_text_where_needed, check_channel, parent_id
from bot.footnote import Footnote
from bot.settings import BotSettings
from bot.store import BotStore, OffLoop
from bot.views import SourcesButton, ThreadButton, PageButton
from corpus.fetch import fetch_page
from corpus.formats import load_html_extractor
from index.gaps import GapStore

log = logging.getLogger("footnote.bot")
DYNAMIC_ITEMS = (SourcesButton, ThreadButton, PageButton, *FEEDBACK_ITEMS)
REFUSAL_QUIET_S = 600.0  # a person is told a refusal in a channel at most once in this long
PRUNE_EVERY_S = 24 * 3600.0
INVALID_FORM = 50035  # Discord: a reply to a message that no longer exists is one


def intents() -> discord.Intents:
    """Guilds and guild messages (mentions arrive with their content); nothing privileged."""
    return discord.Intents(guilds=True, guild_messages=True, dm_messages=True)


def add_commands(tree: app_commands.CommandTree, home: list[int] | None = None) -> None:
    """Every command the bot has. With `home` (what `footnote bot --sync` registers), the curator
    commands belong to the home servers only, so no other server's members even see them; the
    running bot keeps them global, which lets it answer them wherever Discord sends them from."""
    for command in (*commands.COMMANDS, *server_config.COMMANDS):
        tree.add_command(command)
    for command in curator_commands.COMMANDS:
        if home is None:
            tree.add_command(command)
        elif home:
            tree.add_command(command, guilds=[discord.Object(g) for g in home])


class FootnoteBot(discord.Client):
    def __init__(self, service: Footnote, store: BotStore, settings: BotSettings,
                 fetch: Callable[[str], tuple[str, str]] = fetch_page,
                 clock: Callable[[], float] = time.monotonic, gaps: GapStore | None = None, **options):
        super().__init__(intents=intents(), allowed_mentions=NONE, **options)
        self.service = service
        self.store = store
        self.db = OffLoop(store)  # the store from the event loop: `await self.db.method(...)`
        self.guild_configs: dict[int, dict] = {}  # each server's /config, loaded at start
        self.gaps = gaps  # declined questions and 👎 answers (index/gaps), None: not kept
        self.gap_db = OffLoop(gaps) if gaps is not None else None
        self.gap_list = gap_list_for(service, gaps)  # the weekly post's lists; None with an API service
        self._weekly: asyncio.Task | None = None
        self.settings = settings
        self.fetch_page = fetch  # (url) -> (final url, html), blocking: corpus/fetch.py's guarded fetcher
        self.clock = clock
        self.cooldown = Cooldown(settings.cooldown_uses, settings.cooldown_s, clock)
        self.hush = Hush(REFUSAL_QUIET_S, clock)
        self.reindexing = None  # the /reindex running now, if any (bot.reindexing.Running)
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = reply_error
        add_commands(self.tree)
        self._pruned_at = float("-inf")
        self._closing: asyncio.Future | None = None

    async def setup_hook(self) -> None:
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        await asyncio.to_thread(load_html_extractor)  # before the first /article add, not during it
        self.guild_configs = await self.db.guild_configs()
        self.tidy_store()
        # Everything loaded so far (the model, the index, the libraries: hundreds of thousands of
        # objects) lives as long as the bot. Frozen, the cycle collector stops walking it, and its
        # full passes no longer hold the event loop for ~100 ms at a time.
        gc.collect()
        gc.freeze()

    def tidy_store(self) -> None:
        """Apply the retention period (at start, then once a day), in the background: no answer
        waits for it."""
        if self.clock() - self._pruned_at < PRUNE_EVERY_S:
            return
        self._pruned_at = self.clock()
        self._pruning = asyncio.ensure_future(self._prune())

    async def on_ready(self) -> None:
        """Connected: the weekly gaps post starts (once, however often Discord reconnects)."""
        if self._weekly is None and self.gap_list is not None:
            self._weekly = asyncio.ensure_future(weekly(self))

    async def _prune(self) -> None:
        removed = await self.db.prune(self.settings.retention_days)
        if self.gap_db is not None:
            removed += await self.gap_db.prune(self.settings.retention_days, "discord")
        if removed:
            log.info("forgot %d stored rows older than %d days", removed, self.settings.retention_days)

    async def within(self, work):
        """`work` (a coroutine), given up on after FOOTNOTE_ANSWER_TIMEOUT_S: every command that
        deferred says "took too long" rather than thinking for ever."""
        return await asyncio.wait_for(work, timeout=self.settings.answer_timeout_s)

    async def check_asker(self, user_id: int, guild_id: int | None, channel_id: int | None, parent: int | None,
                          counts: bool = True) -> None:
        """Raise Refused outside the guild's allowed channels or when the user is on cooldown;
        `counts=False` checks the place only (nothing is asked, so no use is spent)."""
        rules = rules_for(self, guild_id)
        if not self.store.is_thread(channel_id):  # a Footnote thread was opened where asking is allowed
            check_channel(rules.channels, channel_id, parent)
        if counts:
            self.cooldown.check((guild_id, user_id), rules.cooldown_uses, rules.cooldown_s)

    async def on_message(self, message: discord.Message) -> None:
        """A message that mentions the bot is a question (in a Footnote thread, a follow-up); in a
        DM with the bot, every message is."""
        if message.author.bot or self.user is None:
            return
        if message.guild is not None and self.user not in message.mentions:
            return
        question = mention_question(message.content)
        asker = (message.guild.id if message.guild else None, message.author.id)  # told once per server
        try:
            await self.check_asker(message.author.id, message.guild.id if message.guild else None,
                             message.channel.id, parent_id(message.channel), counts=bool(question))
            if not question:  # nothing asked: no cooldown use spent, and the hint given once in a while
                if self.hush.may_tell(asker, "empty"):
                    await self.reply_to(message, "Ask me something after the mention, e.g. \"@Footnote when "
                                                 "does the line open?\"")
                return
            async with message.channel.typing():
                reply = await answer_question(self, question, message.author.id, message.channel,
                                              guild_id=message.guild.id if message.guild else None)
            sent = await self.reply_to(message, embed=reply.embed, view=reply.view)
            if sent is not None:
                await report_declined(self, reply.answer, reply.answer_id, message.author.id, sent.jump_url)
        except Refused as exc:  # a reply cannot be private: say it once, not at every mention
            if self.hush.may_tell(asker, exc.kind):
                await self.reply_to(message, error_text(exc))
        except discord.Forbidden:  # typing() where the bot may not post
            log.warning("no permission to answer in channel %s", message.channel.id)
        except Exception as exc:  # noqa: BLE001 - the one error handler decides what to say
            await self.reply_to(message, error_text(exc))

    async def reply_to(self, message: discord.Message, content: str | None = None, **kwargs):
        """Reply without pinging; where the bot may not post (Discord's 403), or the message was
        deleted before its answer, log it and go on: neither is an error to raise."""
        try:
            kwargs = as_text_where_needed(message.channel, {"content": content, **kwargs})
            return await message.reply(mention_author=False, allowed_mentions=NONE, **kwargs)
        except discord.Forbidden:
            log.warning("no permission to reply in channel %s", message.channel.id)
        except discord.HTTPException as exc:
            if exc.code != INVALID_FORM or "message_reference" not in exc.text:
                raise
            log.info("message %s was deleted before its answer; the answer is not posted", message.id)
        return None

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Forms are answered here from their custom id (so they survive a restart); a button no
        handler knows (from an older version) is answered rather than left to fail."""
        try:
            if interaction.type is discord.InteractionType.modal_submit and not await handle_form(interaction):
                await stale(interaction, "That form is from an older version of Footnote; open it again.")
            elif interaction.type is discord.InteractionType.component and not known_component(interaction):
                await stale(interaction, "This button no longer works (it is from an older version of Footnote); "
                                         "ask again with /ask.")
        except Exception as exc:  # noqa: BLE001 - every interaction gets an answer
            await reply_error(interaction, exc)

    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        await self.db.forget_thread(payload.thread_id)

    async def close(self) -> None:
        """The gateway first (no new events), then what the handlers use; once, however often
        it is called (a signal, then leaving `async with`)."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close_all())
        await self._closing

    async def _close_all(self) -> None:
        await discord.Client.close(self)
        if self._weekly is not None:
            self._weekly.cancel()
        await self.service.close()
        self.db.shutdown()
        self.store.close()
        if self.gap_db is not None:
            self.gap_db.shutdown()
            self.gaps.close()


def known_component(interaction: discord.Interaction) -> bool:
    custom_id = (interaction.data or {}).get("custom_id", "")
    return any(item.__discord_ui_compiled_template__.fullmatch(custom_id) for item in DYNAMIC_ITEMS)


async def stale(interaction: discord.Interaction, text: str) -> None:
    await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)
