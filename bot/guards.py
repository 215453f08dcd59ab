"""Who may do what, where and how often: the checks run before any work is done."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

import discord
from discord import app_commands

from bot.render import embed_text


class Refused(app_commands.CheckFailure):
    """A request the bot declines; the message tells the person why and what they can do."""

    def __init__(self, message: str, kind: str = "refused"):
        super().__init__(message)
        self.kind = kind  # what was refused: "channel", "cooldown", ...


class Cooldown:
    """At most `uses` requests per user within `per_s` seconds (a sliding window)."""

    def __init__(self, uses: int, per_s: float, clock: Callable[[], float] = time.monotonic):
        self.uses = uses
        self.per_s = per_s
        self.clock = clock
        self._seen: dict[int | tuple, deque[float]] = {}
        self._pruned_at = clock()
        self._longest = per_s  # the longest window any server set: nothing younger is forgotten

    def retry_after(self, user_id: int | tuple, uses: int | None = None, per_s: float | None = None) -> float:
        """0 and the use counted when the user may go ahead, else the seconds to wait; `uses` and
        `per_s` override the defaults (a server's own cooldown; key it by (server, user))."""
        uses = self.uses if uses is None else uses
        per_s = self.per_s if per_s is None else per_s
        self._longest = max(self._longest, per_s)
        now = self.clock()
        if now - self._pruned_at >= self._longest:  # once a window: forget people whose uses all expired
            self._seen = {u: s for u, s in self._seen.items() if s and now - s[-1] < self._longest}
            self._pruned_at = now
        seen = self._seen.setdefault(user_id, deque())
        while seen and now - seen[0] >= per_s:
            seen.popleft()
        if len(seen) >= uses:
            return per_s - (now - seen[0])
        seen.append(now)
        return 0.0

    def check(self, user_id: int | tuple, uses: int | None = None, per_s: float | None = None) -> None:
        wait = self.retry_after(user_id, uses, per_s)
        if wait > 0:
            uses, per_s = (self.uses if uses is None else uses), (self.per_s if per_s is None else per_s)
            raise Refused(f"You're asking quickly: try again in {wait:.0f} s "
                          f"({uses} questions per {per_s:.0f} s).", kind="cooldown")


def check_channel(allowed: tuple[int, ...] | None, *channel_ids: int | None) -> None:
    """Refuse when the server has an allowlist (None: none) and none of the channels (a thread
    and its parent) is on it."""
    if allowed is None:
        return
    if not any(c in allowed for c in channel_ids if c is not None):
        places = ", ".join(f"<#{c}>" for c in allowed) or "no channel"
        raise Refused(f"I only answer in {places} on this server; ask there.", kind="channel")


def check_curator(interaction: discord.Interaction) -> None:
    """Curator commands work only in the home server(s) (FOOTNOTE_DISCORD_CURATOR_GUILDS), and
    there need Manage Server or one of FOOTNOTE_CURATOR_ROLES: anyone can invite a bot to a
    server of their own, where they hold Manage Server, and the collection is the home's."""
    settings = interaction.client.settings
    home, roles = settings.discord_curator_guilds, settings.curator_roles
    if interaction.guild_id is None:
        raise Refused("Curator commands work only inside a server.")
    if not home:
        raise Refused("Curator commands are off: this bot has no home server. Its operator sets "
                      "FOOTNOTE_DISCORD_CURATOR_GUILDS to the id of the server whose members curate the articles.")
    if interaction.guild_id not in home:
        raise Refused("Curator commands work only in this bot's home server; here you can ask and search.")
    if interaction.permissions.manage_guild:
        return
    member_roles = {r.id for r in getattr(interaction.user, "roles", [])}
    if member_roles.intersection(roles):
        return
    raise Refused("Only curators can change the articles: you need the Manage Server permission"
                  + (" or a curator role" if roles else "") + ". Ask a server admin.")


CURATORS = discord.Permissions(manage_guild=True)  # who sees the curator commands by default


def curators_only(interaction: discord.Interaction) -> bool:
    """`check_curator` as an app_commands check."""
    check_curator(interaction)
    return True


class Hush:
    """Each person is told a refusal once per `quiet_s` seconds: a reply in a channel cannot be
    private, so repeated mentions must not fill the channel with refusals."""

    def __init__(self, quiet_s: float, clock: Callable[[], float] = time.monotonic):
        self.quiet_s = quiet_s
        self.clock = clock
        self._told: dict[tuple[int, str], float] = {}
        self._pruned_at = clock()

    def may_tell(self, user_id: int | tuple, reason: str) -> bool:
        """Whether to tell `user_id` (or a (server, user) pair, so that one server's refusals do not
        silence another's) about `reason` now; False within `quiet_s` of the last time."""
        now = self.clock()
        if now - self._pruned_at >= self.quiet_s:  # once a quiet period: forget what may be told again
            self._told = {k: t for k, t in self._told.items() if now - t < self.quiet_s}
            self._pruned_at = now
        last = self._told.get((user_id, reason))
        if last is not None and now - last < self.quiet_s:
            return False
        self._told[(user_id, reason)] = now
        return True


def parent_id(channel) -> int | None:
    return getattr(channel, "parent_id", None)


def can_hold_threads(channel) -> bool:
    """Text and announcement channels can open a thread on a message; threads, voice text chats and
    DMs cannot."""
    return getattr(channel, "type", None) in (discord.ChannelType.text, discord.ChannelType.news)


def seen_by_everyone(channel) -> bool:
    """Whether everyone in the server can read `channel` (@everyone may view it; not a private
    thread). A DM, or a channel the bot's cache does not know, is not."""
    guild = getattr(channel, "guild", None)
    if guild is None or not hasattr(channel, "permissions_for"):
        return False
    everyone = getattr(guild, "default_role", None)
    if everyone is None or getattr(channel, "type", None) is discord.ChannelType.private_thread:
        return False
    return channel.permissions_for(everyone).view_channel


def may_embed(channel) -> bool:
    """Whether Discord shows the bot's embeds in `channel` (Embed Links; threads follow their
    channel). Always in a DM; where the bot's permissions are unknown, assumed, as Discord's
    default for every member is to allow it."""
    guild = getattr(channel, "guild", None)
    me = guild.me if guild is not None else None
    if me is None or isinstance(channel, discord.PartialMessageable) or not hasattr(channel, "permissions_for"):
        return True  # a channel known by its id alone: discord.py says "no permissions", which is no knowledge
    return channel.permissions_for(me).embed_links


def as_text_where_needed(channel, kwargs: dict) -> dict:
    """Message arguments for `channel`: an `embed` becomes the message's text where Discord would
    drop it (or refuse a message of nothing but an embed)."""
    if kwargs.get("embed") is None or may_embed(channel):
        return kwargs
    return {**{k: v for k, v in kwargs.items() if k != "embed"}, "content": embed_text(kwargs["embed"])}
