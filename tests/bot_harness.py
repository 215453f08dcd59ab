"""The Discord harness: real discord.py objects, no network, a fake Discord that keeps the rules.

Interactions are built from gateway-style payloads and fed to `ConnectionState.parse_interaction_create`,
exactly as the gateway would; everything the bot sends goes through discord.py's own code down
to the HTTP session (tests/fake_discord_session.py), where the fake Discord (tests/fake_discord.py)
answers: interaction responses sent by discord.py's webhook adapter, and channel calls (threads,
replies, typing) sent by its HTTPClient, each with discord.py's own rate-limit handling. Tests assert on the recorded
payloads and on the messages as Discord would show them; a test fails when Discord would have
refused something, or left an interaction unanswered or thinking.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import threading
import time
import traceback
from pathlib import Path

import discord

from bot.app import FootnoteBot
from bot.footnote import LocalFootnote
from bot.settings import BotSettings
from bot.store import BotStore
from index.gaps import GapStore
from index.answer import Answerer
from index.search import LiveIndex, Retriever
from tests.conftest import article_txt
from tests.fake_discord_state import CURATOR_CHANNEL_ID, THREAD_TYPES, bot_denied, guild_payload
from tests.fake_discord_session import FakeSession
from tests.fake_discord import (APP_ID, BOT_ID, CHANNEL_ID, CURATOR_ROLE, GUILD_ID, USER_ID, Call,
                                  FakeDiscord, FakeMessage, DiscordClock, channel_payload, message_payload,
                                         own_time, snowflake, timestamp, user_payload)

__all__ = ["APP_ID", "BOT_ID", "CHANNEL_ID", "CURATOR_CHANNEL_ID", "CURATOR_ROLE", "GUILD_ID", "USER_ID", "Call", "FakeDiscord",
           "FakeMessage", "DiscordClock", "snowflake"]

STALL_LIMIT_S = 0.1  # a handler holding the loop this long delays every other interaction

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


class Harness:
    """A FootnoteBot with real connection state, and ways to make Discord events reach it."""

    def __init__(self, bot: FootnoteBot, discord_: FakeDiscord | None = None):
        self.bot = bot
        self.discord = discord_ or FakeDiscord()
        self.clock = self.discord.clock
        self.state = bot._connection
        self.max_stall_s = 0.0
        self.stalled_in = ""  # where the longest stall held the loop
        self._watchdog: asyncio.Task | None = None

    @property
    def recorder(self) -> FakeDiscord:  # the former name of `discord`
        return self.discord

    async def start(self) -> Harness:
        await self.bot.__aenter__()  # the loop-bound set-up `login` would do, without a network
        self.state.user = discord.ClientUser(state=self.state, data=user_payload(BOT_ID, "Footnote", bot=True))
        self.state.application_id = APP_ID
        # discord.py's own HTTPClient sends every REST request; the session beneath it is Discord.
        self.session = FakeSession(self.discord)
        self.bot.http._HTTPClient__session = self.session  # what `static_login` would set up
        self.bot.http._global_over = asyncio.Event()
        self.bot.http._global_over.set()
        self.bot.http.token = "fake-token"
        self.bot.http.get_from_cdn = self.discord.get_from_cdn
        await self.bot.setup_hook()
        guild = guild_payload()
        for channel in guild["channels"]:
            self.discord.add_channel({**channel, "guild_id": str(GUILD_ID)})
        self.state.parse_guild_create(guild)  # what the gateway sends on connecting
        self._watchdog = asyncio.create_task(self._watch(), name="harness-watchdog")
        await self.settle()
        return self

    def deny(self, *permissions: str) -> None:
        """A server admin takes `permissions` (discord.Permissions names) from the bot in every
        channel: the fake Discord refuses or drops what needs them, and the bot's cache learns of
        it as it would, from the gateway's CHANNEL_UPDATE."""
        self.discord.forbidden.update(permissions)
        for channel in list(self.discord.channels.values()):
            if "guild_id" in channel and channel["type"] not in THREAD_TYPES:
                self.discord.add_channel(bot_denied(channel, self.discord.forbidden))
                self.state.parse_channel_update(self.discord.channels[int(channel["id"])])

    def known(self, guild_id: int | None, channel: dict) -> None:
        """The gateway tells the bot of every server it is in and of their channels before any
        event from them: a server or text channel a test uses first arrives as GUILD_CREATE or
        CHANNEL_CREATE. (Threads are known from their parent channel.)"""
        if guild_id is None:
            return
        if self.state._get_guild(guild_id) is None:
            self.state.parse_guild_create(guild_payload(guild_id, channels=[]))
        if channel["type"] not in THREAD_TYPES and self.state._get_guild(guild_id).get_channel(int(channel["id"])) is None:
            self.discord.add_channel({**channel, "guild_id": str(guild_id)})
            self.state.parse_channel_create({**channel, "guild_id": str(guild_id)})

    def app_permissions(self, guild_id: int | None) -> int:
        """What an interaction says the bot may do where it was used: less what a test denied."""
        allowed = discord.Permissions.all()
        if guild_id is not None:
            allowed.update(**dict.fromkeys(self.discord.forbidden, False))
        return allowed.value

    async def _watch(self) -> None:
        """How long the event loop is ever blocked (a blocked loop delays everyone), in the loop's
        own time: waits for a CPU on a busy machine do not count. A thread beside it notes where
        the loop was stuck, so that a stall names its code."""
        sampler = StallSampler(threading.get_ident())
        try:
            while True:
                before = own_time()
                sampler.beat()
                await asyncio.sleep(0.01)
                stall = own_time() - before - 0.01
                if stall > self.max_stall_s:
                    self.max_stall_s, self.stalled_in = stall, sampler.where()
        finally:
            sampler.stop()

    async def settle(self) -> None:
        """Wait until every task the event started (command, view, listener) is finished.

        View timeout timers (discord.py gives ephemeral views a 15-minute one) are not work.
        """
        me = asyncio.current_task()
        while pending := [t for t in asyncio.all_tasks() if t is not me and not t.done() and t is not self._watchdog
                          and "timeout_task" not in getattr(t.get_coro(), "__qualname__", "")]:
            done, _ = await asyncio.wait(pending, timeout=60)
            if not done:  # a hang, not a slow test: say which tasks hang instead of waiting forever
                raise AssertionError(f"tasks never finished: {pending}")

    def interaction_payload(self, type_: int, data: dict, *, user_id: int = USER_ID,
                            channel_id: int = CHANNEL_ID, permissions: int = 0, roles: tuple[int, ...] = (),
                            message: dict | None = None, guild_id: int | None = GUILD_ID,
                            channel_type: int = 0, parent_id: int | None = None) -> dict:
        channel = self.discord.channels.get(channel_id) or channel_payload(channel_id, channel_type, parent_id, guild_id)
        self.known(guild_id, channel)
        payload = {"id": str(snowflake()), "application_id": str(APP_ID), "type": type_, "data": data,
                   "token": f"token-{snowflake()}", "version": 1, "channel_id": str(channel_id),
                   "channel": channel, "locale": "en-US", "attachment_size_limit": 25 * 2**20,
                   "app_permissions": str(self.app_permissions(guild_id)), "entitlements": []}
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

    def _command_options(self, name: str, options: dict | None, subcommand: str | None,
                         focused: str | None = None) -> list[dict]:
        command = self.bot.tree.get_command(name)
        target = command if subcommand is None else command.get_command(subcommand)
        opts = [_option(target, k, v, focused == k) for k, v in (options or {}).items()]
        if focused is None:
            _discord_would_send(target, options or {})
        return [{"type": 1, "name": subcommand, "options": opts}] if subcommand else opts

    async def slash(self, name: str, options: dict | None = None, *, subcommand: str | None = None,
                    resolved: dict | None = None, wait: bool = True, **kwargs) -> list[Call]:
        """Run a slash command as Discord would send it; returns the calls it made."""
        data = {"id": str(snowflake()), "name": name, "type": 1,
                "options": self._command_options(name, options, subcommand)}
        if resolved:
            data["resolved"] = resolved
        label = f"/{name}" + (f" {subcommand}" if subcommand else "")
        return await self.dispatch(self.interaction_payload(2, data, **kwargs), label, wait=wait)

    async def autocomplete(self, name: str, option: str, value: str, *, subcommand: str | None = None,
                           **kwargs) -> list[dict]:
        """Type into an option with autocomplete; returns the choices Discord would show."""
        data = {"id": str(snowflake()), "name": name, "type": 1,
                "options": self._command_options(name, {option: value}, subcommand, focused=option)}
        payload = self.interaction_payload(4, data, **kwargs)
        await self.dispatch(payload, f"autocomplete /{name} {option}")
        return self.discord.interactions[int(payload["id"])].choices or []

    async def context_menu(self, name: str, message: FakeMessage, **kwargs) -> list[Call]:
        """Right-click a message, Apps, `name`."""
        data = {"id": str(snowflake()), "name": name, "type": 3, "target_id": str(message.id),
                "resolved": {"messages": {str(message.id): message.payload()}}}
        return await self.dispatch(self.interaction_payload(2, data, channel_id=message.channel_id, **kwargs),
                                   f"context menu {name!r}")

    async def click(self, message: FakeMessage, custom_id: str, *, user_id: int = USER_ID, wait: bool = True,
                    **kwargs) -> list[Call]:
        """Click a button on a message as Discord shows it (only buttons that are there and enabled)."""
        button = next((c for c in message.components() if c.get("custom_id") == custom_id), None)
        assert button is not None, f"no button {custom_id!r} on the message: {message.custom_ids()}"
        assert not button.get("disabled"), f"the button {custom_id!r} is disabled"
        assert message.public or message.owner == user_id, "that ephemeral message is someone else's"
        data = {"custom_id": custom_id, "component_type": 2}
        payload = self.interaction_payload(3, data, message=message.payload(), user_id=user_id,
                                           channel_id=message.channel_id, **kwargs)
        return await self.dispatch(payload, f"click {custom_id}", message, wait=wait)

    async def submit(self, shown: Call, values: dict[str, str | list[str]], **kwargs) -> list[Call]:
        """Fill in and submit the modal a response showed; Discord checks required fields first."""
        it = next(i for i in self.discord.interactions.values() if i.modal is not None and i.modal is shown.payload["data"])
        parts = []
        for part in it.modal["components"]:
            inner = part.get("component") or part["components"][0]
            value = values.get(inner["custom_id"], "")
            if inner["type"] == 3:
                allowed = {o["value"] for o in inner["options"]}
                assert set(value) <= allowed and inner.get("min_values", 1) <= len(value), f"select {value}"
                item = {"type": 3, "custom_id": inner["custom_id"], "values": list(value)}
            else:
                assert value or not inner.get("required", True), f"{inner['custom_id']} is required"
                assert inner.get("min_length", 0) <= len(value) <= inner.get("max_length", 4000) or not value
                item = {"type": 4, "custom_id": inner["custom_id"], "value": value}
            parts.append({"type": 18, "component": item} if part["type"] == 18 else {"type": 1, "components": [item]})
        data = {"custom_id": it.modal["custom_id"], "components": parts}
        message = it.message.payload() if it.message else None
        payload = self.interaction_payload(5, data, user_id=it.user_id, channel_id=it.channel_id, message=message,
                                           **kwargs)
        return await self.dispatch(payload, f"modal {it.modal['custom_id']}", it.message)

    async def dispatch(self, payload: dict, label: str = "interaction", message: FakeMessage | None = None,
                       wait: bool = True) -> list[Call]:
        """Deliver an interaction; with `wait=False`, return its FakeInteraction at once instead of
        waiting for everything it started (for interactions that overlap)."""
        before = len(self.discord.calls)
        it = self.discord.open_interaction(payload, label, message)
        self.state.parse_interaction_create(payload)
        if not wait:
            await asyncio.sleep(0)
            return it
        await self.settle()
        self.discord.finish()
        return self.discord.calls[before:]

    async def until(self, condition, timeout_s: float = 30.0) -> None:
        """Let the bot run until `condition()` holds (bounded: a hang fails the test)."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert time.monotonic() < deadline, "the condition never came true"
            await asyncio.sleep(0.01)

    async def post(self, content: str, *, channel_id: int = CHANNEL_ID, mention_bot: bool = True,
                   author_id: int = USER_ID, guild_id: int | None = GUILD_ID) -> list[Call]:
        """A message arriving through the gateway (MESSAGE_CREATE): in the server, or with
        `guild_id=None` in a DM with the bot (a DM channel Discord knows, with no guild)."""
        mentions = [user_payload(BOT_ID, "Footnote", bot=True)] if mention_bot else []
        if guild_id is None and channel_id not in self.discord.channels:
            self.discord.add_channel(channel_payload(channel_id, guild_id=None))
        self.known(guild_id, self.discord.channels.get(channel_id) or channel_payload(channel_id, guild_id=guild_id))
        message = self.discord.add_message(FakeMessage(snowflake(), channel_id, {"content": content}, author_id=author_id))
        data = message_payload(channel_id, {"content": content}, author=user_payload(author_id), mentions=mentions,
                               message_id=message.id, guild_id=guild_id)
        if guild_id is not None:
            data["member"] = {"roles": [], "joined_at": timestamp(), "deaf": False, "mute": False, "flags": 0}
        before = len(self.discord.calls)
        self.state.parse_message_create(data)
        await self.settle()
        return self.discord.calls[before:]

    def sent_message(self, call: Call) -> FakeMessage:
        """The message Discord holds for a recorded send, as it is now."""
        assert call.message is not None, f"{call.method} {call.path} made no message"
        return call.message

    async def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        await self.bot.close()


class StallSampler:
    """A thread that looks at the event loop's thread whenever its heartbeat is late and keeps
    the stack it was in (the frames of this project, innermost last)."""

    LATE_S = 0.03

    def __init__(self, loop_thread: int):
        self.loop_thread = loop_thread
        self.last_beat = time.monotonic()
        self.stack = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-sampler", daemon=True)
        self._thread.start()

    def beat(self) -> None:
        self.last_beat = time.monotonic()
        self.stack = ""  # a stack kept before this beat belongs to a stall already measured

    def where(self) -> str:
        stack, self.stack = self.stack, ""
        return stack

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            if time.monotonic() - self.last_beat < self.LATE_S:
                continue
            frame = sys._current_frames().get(self.loop_thread)
            if frame is None:
                continue
            lines = [f"  {f.filename}:{f.lineno} {f.name}" for f in traceback.extract_stack(frame)
                     if "/site-packages/" not in f.filename and "/lib/python3" not in f.filename] or \
                    [f"  {f.filename}:{f.lineno} {f.name}" for f in traceback.extract_stack(frame)[-6:]]
            self.stack = "\n".join(lines[-12:])


def _option(command, name: str, value, focused: bool = False) -> dict:
    kinds = {p.name: p.type.value for p in command.parameters}
    return {"name": name, "type": kinds[name], "value": value, **({"focused": True} if focused else {})}


def _discord_would_send(command, options: dict) -> None:
    """Discord's client enforces required options and declared lengths before sending anything."""
    for p in command.parameters:
        value = options.get(p.name)
        assert value is not None or not p.required, f"Discord requires {p.name}"
        if isinstance(value, str):
            assert (p.min_value or 0) <= len(value) <= (p.max_value or 6000), f"Discord limits {p.name}'s length"


def custom_ids(payload: dict) -> list[str]:
    body = payload.get("data", payload)
    return [c["custom_id"] for row in body.get("components", []) for c in row.get("components", [])
            if "custom_id" in c]


def embeds_of(call: Call) -> list[dict]:
    return (call.payload.get("data", call.payload) or {}).get("embeds", [])


def make_bot(corpus: Path, index: Path, embedder, tmp_path: Path, service=None, clock=None,
             **settings) -> FootnoteBot:
    """The bot as `footnote bot` builds it, with the tiny index and a fresh store."""
    if service is None:
        answerer = Answerer(Retriever(LiveIndex(index, embedder.name), embedder), threshold=0.2,
                            today=lambda: dt.date(2026, 11, 24))
        service = LocalFootnote(answerer, corpus, index, progress_interval_s=0.01)
    settings.setdefault("discord_curator_guilds", [GUILD_ID])  # the test server is the home server
    config = BotSettings(_env_file=None, **settings)
    extra = {"clock": clock} if clock else {}
    return FootnoteBot(service, BotStore(tmp_path / "bot.sqlite", config.history_turns), config,
                       gaps=GapStore(tmp_path / "gaps.sqlite"), **extra)


def run(scenario, bot: FootnoteBot, fake: FakeDiscord | None = None):
    """Run an async scenario with a started harness; the bot is closed afterwards, and the test
    fails with whatever Discord would have refused or left hanging."""
    fake = fake or FakeDiscord()

    async def main():
        harness = await Harness(bot, fake).start()
        try:
            result = await scenario(harness)
            await harness.settle()
            return result, (harness.max_stall_s, harness.stalled_in)
        finally:
            await harness.close()

    result, (stall_s, stalled_in) = asyncio.run(main())
    fake.finish()
    problems = fake.take_violations()
    if stall_s > STALL_LIMIT_S:
        problems.append(f"the event loop was blocked for {stall_s * 1000:.0f} ms (over {STALL_LIMIT_S * 1000:.0f} ms); "
                        f"every interaction waited. It was in:\n{stalled_in or '(not caught)'}")
    assert not problems, "Discord would not have it:\n- " + "\n- ".join(problems)
    return result
