"""The Discord harness: real discord.py objects, no network.

Interactions are built from gateway-style payloads and fed to `ConnectionState.parse_interaction_create`,
exactly as the gateway would; everything the bot sends goes through discord.py's own code down
to the transport, where a recorder stands in: the webhook adapter (`async_context`, the seam
discord.py's tests use) for interaction responses, and the client's HTTP `request` for channel
calls (threads, replies, typing). Tests assert on the recorded payloads.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

import discord
import pytest
from discord.http import Route
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from bot.app import FootnoteBot
from bot.service import LocalFootnote
from bot.settings import BotSettings
from bot.store import BotStore
from corpus.chunk import ChunkParams
from index.answer import Answerer
from index.build import build_index
from index.embed import HashingEmbedder
from index.search import LiveIndex, Retriever
from tests.conftest import article_txt, write

APP_ID = 900000000000000001
BOT_ID = APP_ID
GUILD_ID = 910000000000000001
CHANNEL_ID = 920000000000000001
USER_ID = 930000000000000001
_ids = itertools.count(940000000000000001)

NEWS = {
    "2026/bridge.txt": article_txt(
        "2026-01-10", "The harbour bridge repair budget was set at 40 million dollars by the council.",
        "Engineer Mara Quill said the steel cables were corroded. She expects work to take a year."),
    "2026/ferry.md": "---\ntitle: Ferry fares frozen\ndate: 2026-03-05\nsource: Bay Times\nurl: https://example.org/ferry\n---\n"
                     "The ferry operator froze fares for the year. Commuters welcomed the decision.\n\n"
                     "The operator's chief, Tom Reyes, said fuel prices had eased. @everyone should ride it.",
    "2025/library.txt": article_txt(
        "2025-11-02", "The city library opened a new reading room for children in November.",
        "Librarian Ada Brook said the room holds four thousand books."),
}


def snowflake() -> int:
    return next(_ids)


def timestamp() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def user_payload(user_id: int = USER_ID, name: str = "reader", bot: bool = False) -> dict:
    return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name,
            "avatar": None, "bot": bot}


def message_payload(channel_id: int, body: dict | None = None, *, author: dict | None = None,
                    message_id: int | None = None, mentions: list[dict] | None = None,
                    guild_id: int | None = GUILD_ID) -> dict:
    """A message as Discord returns it; `body` is what was sent (content, embeds, components, flags)."""
    body = body or {}
    data = {"id": str(message_id or snowflake()), "type": 0, "channel_id": str(channel_id),
            "content": body.get("content") or "", "embeds": body.get("embeds") or [],
            "components": body.get("components") or [], "attachments": [], "timestamp": timestamp(),
            "edited_timestamp": None, "author": author or user_payload(BOT_ID, "Footnote", bot=True),
            "mentions": mentions or [], "mention_roles": [], "pinned": False, "tts": False,
            "mention_everyone": False, "flags": body.get("flags") or 0}
    if guild_id:
        data["guild_id"] = str(guild_id)
    return data


CURATOR_ROLE = 955000000000000001


def role_payload(role_id: int, name: str) -> dict:
    return {"id": str(role_id), "name": name, "color": 0, "hoist": False, "position": 0,
            "permissions": "0", "managed": False, "mentionable": False, "flags": 0}


def guild_payload() -> dict:
    """The guild as GUILD_CREATE delivers it: its roles (@everyone and a curator role) and a channel."""
    return {"id": str(GUILD_ID), "name": "Newsroom", "icon": None, "owner_id": "1", "region": "eu",
            "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "features": [],
            "mfa_level": 0, "system_channel_id": None, "system_channel_flags": 0, "rules_channel_id": None,
            "vanity_url_code": None, "description": None, "banner": None, "premium_tier": 0,
            "preferred_locale": "en-US", "public_updates_channel_id": None, "nsfw_level": 0,
            "premium_progress_bar_enabled": False, "emojis": [], "stickers": [], "member_count": 2,
            "roles": [role_payload(GUILD_ID, "@everyone"), role_payload(CURATOR_ROLE, "curator")],
            "channels": [channel_payload(CHANNEL_ID)], "threads": [], "members": [], "voice_states": [],
            "presences": [], "large": False, "unavailable": False, "joined_at": timestamp()}


def channel_payload(channel_id: int, type_: int = 0, parent_id: int | None = None,
                    guild_id: int | None = GUILD_ID, name: str = "news") -> dict:
    """A text channel (type 0) or a public thread (type 11) as Discord sends it."""
    data = {"id": str(channel_id), "type": type_, "guild_id": str(guild_id), "name": name, "position": 0,
            "permission_overwrites": [], "nsfw": False, "rate_limit_per_user": 0, "last_message_id": None,
            "parent_id": str(parent_id) if parent_id else None}
    if type_ == 11:
        data.update(owner_id=str(BOT_ID), member_count=1, message_count=0,
                    thread_metadata={"archived": False, "auto_archive_duration": 1440,
                                     "archive_timestamp": timestamp(), "locked": False})
    return data


@dataclass
class Call:
    method: str
    path: str  # the route with its parameters filled in
    payload: dict | None
    kind: str  # "webhook" (interaction responses) or "http" (the bot's own REST calls)


@dataclass
class Recorder(AsyncWebhookAdapter):
    """Stands in for Discord: records every request, answers like Discord would."""

    calls: list[Call] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)  # attachment URL -> bytes
    threads: list[int] = field(default_factory=list)

    def __post_init__(self):
        super().__init__()

    def _record(self, route, payload, multipart, kind) -> dict:
        if payload is None and multipart:
            payload = json.loads(multipart[0]["value"])
        self.calls.append(Call(route.method, route.url.removeprefix(Route.BASE), payload, kind))
        return payload or {}

    async def request(self, route, session, *, payload=None, multipart=None, files=None, **_):
        body = self._record(route, payload, multipart, "webhook")
        if route.path.endswith("/callback"):
            interaction = {"id": str(route.webhook_id), "type": 2,
                           "response_message_loading": body.get("type") == 5,
                           "response_message_ephemeral": bool((body.get("data") or {}).get("flags", 0) & 64)}
            return {"interaction": interaction}
        message_id = route.path.rsplit("/", 1)[-1] if "/messages/" in route.path else None
        return message_payload(CHANNEL_ID, body, message_id=int(message_id) if message_id and message_id.isdigit() else None)

    async def http_request(self, route, *, files=None, form=None, **kwargs):
        """Stands in for `HTTPClient.request`."""
        body = self._record(route, kwargs.get("json"), None, "http")
        if route.path.endswith("/threads"):
            thread_id = snowflake()
            self.threads.append(thread_id)
            return channel_payload(thread_id, 11, route.channel_id, name=body.get("name", ""))
        if route.path.endswith("/typing"):
            return None
        if route.path.endswith("/messages") and route.method == "POST":
            return message_payload(route.channel_id, body)
        raise AssertionError(f"the harness does not expect {route.method} {route.path}")

    async def get_from_cdn(self, url: str) -> bytes:
        return self.uploads[url]

    def webhook(self) -> list[Call]:
        return [c for c in self.calls if c.kind == "webhook"]

    def http(self) -> list[Call]:
        return [c for c in self.calls if c.kind == "http"]

    def last(self) -> Call:
        return self.calls[-1]


class Harness:
    """A FootnoteBot with real connection state, and ways to make Discord events reach it."""

    def __init__(self, bot: FootnoteBot, recorder: Recorder):
        self.bot = bot
        self.recorder = recorder
        self.state = bot._connection

    async def start(self) -> Harness:
        async_context.set(self.recorder)
        await self.bot.__aenter__()  # the loop-bound set-up `login` would do, without a network
        self.state.user = discord.ClientUser(state=self.state, data=user_payload(BOT_ID, "Footnote", bot=True))
        self.state.application_id = APP_ID
        self.bot.http.request = self.recorder.http_request
        self.bot.http.get_from_cdn = self.recorder.get_from_cdn
        await self.bot.setup_hook()
        self.state.parse_guild_create(guild_payload())  # what the gateway sends on connecting
        await self.settle()
        return self

    async def settle(self) -> None:
        """Wait until every task the event started (command, view, listener) is finished.

        View timeout timers (discord.py gives ephemeral views a 15-minute one) are not work.
        """
        me = asyncio.current_task()
        while pending := [t for t in asyncio.all_tasks() if t is not me and not t.done()
                          and "timeout_task" not in t.get_coro().__qualname__]:
            done, _ = await asyncio.wait(pending, timeout=60)
            if not done:  # a hang, not a slow test: say which tasks hang instead of waiting forever
                raise AssertionError(f"tasks never finished: {pending}")

    def interaction_payload(self, type_: int, data: dict, *, user_id: int = USER_ID,
                            channel_id: int = CHANNEL_ID, permissions: int = 0, roles: tuple[int, ...] = (),
                            message: dict | None = None, guild_id: int | None = GUILD_ID,
                            channel_type: int = 0, parent_id: int | None = None) -> dict:
        channel = channel_payload(channel_id, channel_type, parent_id, guild_id)
        payload = {"id": str(snowflake()), "application_id": str(APP_ID), "type": type_, "data": data,
                   "token": f"token-{snowflake()}", "version": 1, "channel_id": str(channel_id),
                   "channel": channel, "locale": "en-US", "attachment_size_limit": 25 * 2**20,
                   "app_permissions": str(discord.Permissions.all().value), "entitlements": []}
        if guild_id:
            payload["guild_id"] = str(guild_id)
            payload["guild_locale"] = "en-US"
            payload["member"] = {"user": user_payload(user_id), "roles": [str(r) for r in roles],
                                 "joined_at": timestamp(), "deaf": False, "mute": False, "flags": 0,
                                 "permissions": str(permissions)}
        else:
            payload["user"] = user_payload(user_id)
        if message is not None:
            payload["message"] = message
        return payload

    async def slash(self, name: str, options: dict | None = None, *, subcommand: str | None = None,
                    resolved: dict | None = None, **kwargs) -> list[Call]:
        """Run a slash command as Discord would send it; returns the calls it made."""
        command = self.bot.tree.get_command(name)
        opts = [_option(command if subcommand is None else command.get_command(subcommand), k, v)
                for k, v in (options or {}).items()]
        if subcommand:
            opts = [{"type": 1, "name": subcommand, "options": opts}]
        data = {"id": str(snowflake()), "name": name, "type": 1, "options": opts}
        if resolved:
            data["resolved"] = resolved
        return await self.dispatch(self.interaction_payload(2, data, **kwargs))

    async def click(self, message: dict, custom_id: str, **kwargs) -> list[Call]:
        """Click a button on a message the bot sent (as recorded)."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self.dispatch(self.interaction_payload(3, data, message=message, **kwargs))

    async def dispatch(self, payload: dict) -> list[Call]:
        before = len(self.recorder.calls)
        self.state.parse_interaction_create(payload)
        await self.settle()
        return self.recorder.calls[before:]

    async def post(self, content: str, *, channel_id: int = CHANNEL_ID, mention_bot: bool = True,
                   author_id: int = USER_ID) -> list[Call]:
        """A guild message arriving through the gateway (MESSAGE_CREATE)."""
        mentions = [user_payload(BOT_ID, "Footnote", bot=True)] if mention_bot else []
        data = message_payload(channel_id, {"content": content}, author=user_payload(author_id), mentions=mentions)
        data["member"] = {"roles": [], "joined_at": timestamp(), "deaf": False, "mute": False, "flags": 0}
        before = len(self.recorder.calls)
        self.state.parse_message_create(data)
        await self.settle()
        return self.recorder.calls[before:]

    def sent_message(self, call: Call, channel_id: int = CHANNEL_ID) -> dict:
        """The message Discord would hold for a recorded send, for clicking its buttons."""
        body = call.payload.get("data", call.payload) if call.payload else {}
        return message_payload(channel_id, body)

    async def close(self) -> None:
        await self.bot.close()


def _option(command, name: str, value) -> dict:
    kinds = {p.name: p.type.value for p in command.parameters}
    return {"name": name, "type": kinds[name], "value": value}


def custom_ids(payload: dict) -> list[str]:
    body = payload.get("data", payload)
    return [c["custom_id"] for row in body.get("components", []) for c in row.get("components", [])
            if "custom_id" in c]


def embeds_of(call: Call) -> list[dict]:
    return (call.payload.get("data", call.payload) or {}).get("embeds", [])


@pytest.fixture(scope="module")
def news_index(tmp_path_factory):
    """A tiny indexed collection (model-free embedder): (corpus folder, index folder, embedder)."""
    root = tmp_path_factory.mktemp("bot-news")
    corpus = write(root / "corpus", NEWS)
    embedder = HashingEmbedder(64)
    build_index(corpus, root / "index", embedder, ChunkParams(40), progress=False)
    return corpus, root / "index", embedder


def make_bot(corpus: Path, index: Path, embedder, tmp_path: Path, service=None, clock=None,
             **settings) -> FootnoteBot:
    """The bot as `footnote bot` builds it, with the tiny index and a fresh store."""
    if service is None:
        answerer = Answerer(Retriever(LiveIndex(index, embedder.name), embedder), threshold=0.2,
                            today=lambda: dt.date(2026, 11, 24))
        service = LocalFootnote(answerer, corpus, index, progress_interval_s=0.01)
    config = BotSettings(_env_file=None, **settings)
    extra = {"clock": clock} if clock else {}
    return FootnoteBot(service, BotStore(tmp_path / "bot.sqlite", config.history_turns), config, **extra)


def run(scenario, *args):
    """Run an async scenario with a started harness; the bot is closed afterwards."""
    async def main():
        harness = await Harness(*args).start()
        try:
            return await scenario(harness)
        finally:
            await harness.close()
    return asyncio.run(main())


@pytest.fixture
def harness_for(news_index, tmp_path):
    """`harness_for(scenario, **settings)` runs `scenario(harness)` against a fresh bot."""
    def go(scenario, service=None, clock=None, **settings):
        bot = make_bot(*news_index, tmp_path, service=service, clock=clock, **settings)
        return run(scenario, bot, Recorder())
    return go


def test_the_harness_records_a_deferral_for_a_real_interaction(harness_for):
    async def scenario(h: Harness):
        calls = await h.slash("ask", {"question": "Who is the librarian of the city library?"})
        return calls

    calls = harness_for(scenario)
    assert calls[0].path.endswith("/callback") and calls[0].payload["type"] == 5
    assert calls[1].method == "POST" and calls[1].path == f"/webhooks/{APP_ID}/{calls[1].path.split('/')[3]}"
