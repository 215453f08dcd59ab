"""What the fake Discord holds and sends: ids, gateway-style payloads, messages and interactions
as Discord keeps them, and the test's clock."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from dataclasses import dataclass, field

import discord

APP_ID = 900000000000000001
BOT_ID = APP_ID
GUILD_ID = 910000000000000001
CHANNEL_ID = 920000000000000001
USER_ID = 930000000000000001
CURATOR_ROLE = 955000000000000001
CURATOR_CHANNEL_ID = 920000000000000009
_ids = itertools.count(940000000000000001)

FIRST_RESPONSE_S = 3.0
TOKEN_LIFETIME_S = 15 * 60
EPHEMERAL = 64
THREAD_TYPES = {10, 11, 12}
THREADABLE_TYPES = {0, 5}  # text and announcement channels


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


def channel_payload(channel_id: int, type_: int = 0, parent_id: int | None = None,
                    guild_id: int | None = GUILD_ID, name: str = "news") -> dict:
    """A text channel (type 0) or a public thread (type 11) as Discord sends it; with no guild, a
    DM channel (type 1), which has no guild id, name or position at all."""
    if guild_id is None:
        return {"id": str(channel_id), "type": 1, "last_message_id": None, "flags": 0, "recipients": []}
    data = {"id": str(channel_id), "type": type_, "guild_id": str(guild_id), "name": name, "position": 0,
            "permission_overwrites": [], "nsfw": False, "rate_limit_per_user": 0, "last_message_id": None,
            "parent_id": str(parent_id) if parent_id else None}
    if type_ in THREAD_TYPES:
        data.update(owner_id=str(BOT_ID), member_count=1, message_count=0,
                    thread_metadata={"archived": False, "auto_archive_duration": 1440,
                                     "archive_timestamp": timestamp(), "locked": False})
    return data


# What @everyone may do in a new server (Discord's defaults), the bot included unless a test denies it.
EVERYONE = ("view_channel", "send_messages", "send_messages_in_threads", "create_public_threads", "embed_links",
            "attach_files", "read_message_history", "add_reactions", "use_application_commands")


def role_payload(role_id: int, name: str, permissions: tuple[str, ...] = ()) -> dict:
    return {"id": str(role_id), "name": name, "color": 0, "hoist": False, "position": 0,
            "permissions": str(discord.Permissions(**dict.fromkeys(permissions, True)).value), "managed": False,
            "mentionable": False, "flags": 0}


def bot_denied(channel: dict, denied: set[str]) -> dict:
    """`channel` with an overwrite that denies the bot `denied` (discord.Permissions names), as a
    server admin sets one in the channel's settings."""
    others = [o for o in channel.get("permission_overwrites", []) if o["id"] != str(BOT_ID)]
    deny = discord.Permissions(**dict.fromkeys(denied, True)).value
    return {**channel, "permission_overwrites": others + [{"id": str(BOT_ID), "type": 1, "allow": "0",
                                                           "deny": str(deny)}]}


def guild_payload(guild_id: int = GUILD_ID, channels: list[dict] | None = None) -> dict:
    """A guild as GUILD_CREATE delivers it: its roles (@everyone and a curator role) and channels
    (the test server's: a news channel and the curators' channel)."""
    if channels is None:
        channels = [channel_payload(CHANNEL_ID), channel_payload(CURATOR_CHANNEL_ID, name="curators")]
    return {"id": str(guild_id), "name": "Newsroom" if guild_id == GUILD_ID else f"Server {guild_id}", "icon": None, "owner_id": "1", "region": "eu",
            "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "features": [],
            "mfa_level": 0, "system_channel_id": None, "system_channel_flags": 0, "rules_channel_id": None,
            "vanity_url_code": None, "description": None, "banner": None, "premium_tier": 0,
            "preferred_locale": "en-US", "public_updates_channel_id": None, "nsfw_level": 0,
            "premium_progress_bar_enabled": False, "emojis": [], "stickers": [], "member_count": 2,
            "roles": [role_payload(guild_id, "@everyone", EVERYONE), role_payload(CURATOR_ROLE, "curator")],
            "channels": [{k: v for k, v in c.items() if k != "guild_id"} for c in channels],
            "threads": [], "voice_states": [],
            "members": [{"user": user_payload(BOT_ID, "Footnote", bot=True), "roles": [], "joined_at": timestamp(),
                         "deaf": False, "mute": False, "flags": 0}],  # Discord always sends the bot's own
            "presences": [], "large": False, "unavailable": False, "joined_at": timestamp()}


def waited_for_cpu_s() -> float:
    """How long the calling thread has waited for a CPU while ready to run (Linux schedstat; 0
    where unknown): time a busy machine took, not the bot."""
    try:
        with open("/proc/thread-self/schedstat") as stats:
            return int(stats.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def own_time() -> float:
    """Real time, less the calling thread's waits for a CPU: what the bot itself spent, so a test
    on a loaded machine does not fail for the machine's sake."""
    return time.monotonic() - waited_for_cpu_s()


class DiscordClock:
    """The test's clock: the event loop's own time (see `own_time`) plus whatever the test skipped
    with `advance`. Read only on the event loop's thread."""

    def __init__(self):
        self.skipped_s = 0.0

    def __call__(self) -> float:
        return own_time() + self.skipped_s

    def advance(self, seconds: float) -> None:
        self.skipped_s += seconds


@dataclass
class FakeMessage:
    """A message as Discord holds it: its current body, who sees it, its thread."""

    id: int
    channel_id: int
    body: dict
    ephemeral: bool = False
    owner: int | None = None  # the one person who sees an ephemeral message
    loading: bool = False  # a deferral's "Footnote is thinking..."
    author_id: int = BOT_ID
    thread_id: int | None = None
    deleted: bool = False
    versions: list[dict] = field(default_factory=list)

    @property
    def public(self) -> bool:
        return not self.ephemeral

    @property
    def content(self) -> str:
        return self.body.get("content") or ""

    @property
    def embeds(self) -> list[dict]:
        return self.body.get("embeds") or []

    def components(self) -> list[dict]:
        return [c for row in self.body.get("components") or [] for c in row.get("components", [])]

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in self.components() if "custom_id" in c]

    def update(self, body: dict) -> None:
        """An edit: the keys sent replace the message's, the others stay (Discord's PATCH)."""
        self.body = {**self.body, **{k: v for k, v in body.items() if k != "flags"}}
        self.versions.append(self.body)
        self.loading = False

    def payload(self) -> dict:
        author = user_payload(self.author_id, "Footnote" if self.author_id == BOT_ID else "reader",
                              bot=self.author_id == BOT_ID)
        data = message_payload(self.channel_id, {**self.body, "flags": EPHEMERAL if self.ephemeral else 0},
                               message_id=self.id, author=author)
        if self.thread_id:
            data["thread"] = channel_payload(self.thread_id, 11, self.channel_id)
        return data


@dataclass
class FakeInteraction:
    id: int
    token: str
    type: int  # 2 command, 3 component, 4 autocomplete, 5 modal submit
    user_id: int
    channel_id: int
    created: float
    label: str
    message: FakeMessage | None = None  # the message a clicked component is on
    response: int | None = None  # the callback type Discord accepted
    original: FakeMessage | None = None
    modal: dict | None = None  # a modal shown in response
    choices: list[dict] | None = None
    checked: bool = False


@dataclass
class Call:
    method: str
    path: str  # the route with its parameters filled in
    payload: dict | None
    kind: str  # "webhook" (interaction responses) or "http" (the bot's own REST calls)
    message: FakeMessage | None = None  # the message it created or changed
