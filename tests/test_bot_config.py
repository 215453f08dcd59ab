"""/config: a server's admins set what is theirs (the channels the bot answers in, the cooldown,
where that server's declined questions go, whether they name who asked), applied at once,
kept across restarts, and never reaching another server."""

from __future__ import annotations

import discord

from tests.bot_harness import CHANNEL_ID, CURATOR_CHANNEL_ID, GUILD_ID, USER_ID, Harness, make_bot, run
from tests.fake_discord_state import channel_payload

ADMIN = discord.Permissions(manage_guild=True).value
OTHER = GUILD_ID + 1  # a server someone invited the bot to
OTHER_CHANNEL, OTHER_CURATORS = CHANNEL_ID + 70, CHANNEL_ID + 71
UNKNOWN = "What is the capital of Mongolia?"


def channel_option(channel_id: int) -> dict:
    """What Discord sends for a channel a person picked: the id, and the channel in `resolved`."""
    return {"channels": {str(channel_id): {"id": str(channel_id), "name": "news", "type": 0,
                                           "permissions": str(discord.Permissions.all().value)}}}


async def configure(h: Harness, sub: str, options: dict | None = None, channel: int | None = None, **kwargs):
    resolved = channel_option(channel) if channel else None
    calls = await h.slash("config", options or {}, subcommand=sub, resolved=resolved, permissions=ADMIN, **kwargs)
    return calls[-1].message


def posts_in(h: Harness, channel_id: int):
    return [m for m in h.discord.public_messages() if m.channel_id == channel_id]


def test_each_server_sends_its_own_declined_questions_to_its_own_curator_channel(own_index, tmp_path):
    corpus, index, embedder = own_index

    async def scenario(h: Harness):
        h.discord.add_channel(channel_payload(OTHER_CURATORS, guild_id=OTHER))
        saved = await configure(h, "curator-channel", {"channel": str(OTHER_CURATORS)}, OTHER_CURATORS,
                                guild_id=OTHER, channel_id=OTHER_CHANNEL)
        await h.slash("ask", {"question": UNKNOWN}, guild_id=OTHER, channel_id=OTHER_CHANNEL)
        await h.slash("ask", {"question": UNKNOWN})  # the home server's own question
        return saved, posts_in(h, OTHER_CURATORS), posts_in(h, CURATOR_CHANNEL_ID)

    saved, theirs, home = run(scenario, make_bot(corpus, index, embedder, tmp_path,
                                                 curator_channel=CURATOR_CHANNEL_ID, cooldown_uses=10))
    assert saved.ephemeral and f"go to <#{OTHER_CURATORS}>" in saved.content
    [post] = theirs
    assert UNKNOWN in post.embeds[0]["description"] and "<@" not in post.embeds[0]["description"]
    assert post.custom_ids() == []  # only the home server's curators may add articles
    [home_post] = home  # the home server's question went home, and only there
    assert home_post.custom_ids() == ["footnote:addurl:2"]


def test_an_admin_limits_the_channels_and_the_cooldown_at_once_and_it_outlives_a_restart(own_index, tmp_path):
    corpus, index, embedder = own_index

    async def scenario(h: Harness):
        await configure(h, "channel", {"channel": str(CHANNEL_ID + 5), "allow": True}, CHANNEL_ID + 5)
        elsewhere = (await h.slash("ask", {"question": "Who runs the ferry?"}))[-1].message
        await configure(h, "cooldown", {"uses": 1, "seconds": 600})
        await configure(h, "all-channels")
        first = (await h.slash("ask", {"question": "Who runs the ferry?"}))[-1].message
        second = (await h.slash("ask", {"question": "Who runs the ferry?"}))[-1].message
        other = (await h.slash("ask", {"question": "Who runs the ferry?"}, guild_id=OTHER,
                               channel_id=OTHER_CHANNEL))[-1].message
        return elsewhere, first, second, other

    elsewhere, first, second, other = run(scenario, make_bot(corpus, index, embedder, tmp_path))
    assert f"I only answer in <#{CHANNEL_ID + 5}>" in elsewhere.content
    assert first.embeds and "asking quickly" in second.content and "1 questions per 600 s" in second.content
    assert other.embeds  # another server keeps its own (default) cooldown

    async def after_restart(h: Harness):
        return await configure(h, "show")

    shown = run(after_restart, make_bot(corpus, index, embedder, tmp_path))
    assert "answers in every channel; 1 questions per 600 s" in shown.content


def test_only_a_servers_admins_change_its_settings(own_index, tmp_path):
    corpus, index, embedder = own_index

    async def scenario(h: Harness):
        member = (await h.slash("config", {"uses": 1, "seconds": 60}, subcommand="cooldown", permissions=0,
                                user_id=USER_ID + 9))[-1].message
        return member

    member = run(scenario, make_bot(corpus, index, embedder, tmp_path))
    assert member.ephemeral and "Only this server's admins" in member.content
