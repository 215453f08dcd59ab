"""Each server's own settings, which its admins set in Discord with /config: the channels the
bot answers in, the question cooldown, the channel where that server's declined questions and
votes go, and whether those name who asked. Stored in the bot's database (bot.sqlite), applied
at once (no restart); an admin acts on their own server only. Where a server has set nothing,
the FOOTNOTE_* settings apply, and only the home servers get the operator's curator channel."""

from __future__ import annotations

from dataclasses import dataclass

import discord
from discord import app_commands

from bot.errors import NONE
from bot.guards import Refused
from bot.respond import in_time, say

ADMINS = discord.Permissions(manage_guild=True)


@dataclass(frozen=True)
class ServerRules:
    """What applies in one server (None: a DM)."""

    channels: tuple[int, ...] | None  # None: every channel
    cooldown_uses: int
    cooldown_s: float
    curator_channel: int | None  # where this server's declined questions and votes go
    mentions: bool  # those posts name who asked or voted
    home: bool  # a home server: curator commands work here


def rules_for(bot, guild_id: int | None) -> ServerRules:
    settings = bot.settings
    own = bot.guild_configs.get(guild_id, {}) if guild_id is not None else {}
    home = guild_id is not None and guild_id in settings.discord_curator_guilds
    channels = own["channels"] if "channels" in own else settings.allowed_channels.get(guild_id)
    return ServerRules(
        channels=tuple(channels) if channels is not None else None,
        cooldown_uses=own.get("cooldown_uses", settings.cooldown_uses),
        cooldown_s=own.get("cooldown_s", settings.cooldown_s),
        curator_channel=own.get("curator_channel", _in_server(bot, settings.curator_channel, guild_id) if home else None)
        or None,
        mentions=own.get("mentions", settings.curator_mentions if home else False),
        home=home)


def _in_server(bot, channel_id: int | None, guild_id: int) -> int | None:
    """`channel_id` if that channel is in the server `guild_id`: FOOTNOTE_CURATOR_CHANNEL is one
    channel, so with several home servers only the one that holds it posts there (the others
    set their own with /config curator-channel)."""
    channel = bot.get_channel(channel_id) if channel_id else None
    return channel_id if channel is not None and getattr(channel.guild, "id", None) == guild_id else None


def check_admin(interaction: discord.Interaction) -> bool:
    """Manage Server in this very server: what an admin sets here applies here only."""
    if interaction.guild_id is None:
        raise Refused("/config works inside a server.")
    if not interaction.permissions.manage_guild:
        raise Refused("Only this server's admins (Manage Server) can change its Footnote settings.")
    return True


config = app_commands.Group(name="config", description="This server's Footnote settings (admins)", guild_only=True,
                            default_permissions=ADMINS)


async def _change(interaction: discord.Interaction, **changes) -> None:
    bot = interaction.client
    own = {**bot.guild_configs.get(interaction.guild_id, {})}
    for key, value in changes.items():
        if value is None:
            own.pop(key, None)
        else:
            own[key] = value
    await in_time(interaction, bot.db.set_guild_config(interaction.guild_id, own))
    bot.guild_configs[interaction.guild_id] = own
    await say(interaction, describe(rules_for(bot, interaction.guild_id), "Saved. Now: "))


def describe(rules: ServerRules, lead: str = "") -> str:
    where = ", ".join(f"<#{c}>" for c in rules.channels) if rules.channels is not None else "every channel"
    if rules.channels == ():
        where = "no channel"
    told = f"<#{rules.curator_channel}>" if rules.curator_channel else "nowhere"
    return (f"{lead}answers in {where}; {rules.cooldown_uses} questions per {rules.cooldown_s:g} s per person; "
            f"declined questions and votes go to {told}, {'naming' if rules.mentions else 'not naming'} who "
            f"asked{'; curator commands work here' if rules.home else ''}.")


@config.command(name="show", description="Show this server's Footnote settings")
@app_commands.check(check_admin)
async def show(interaction: discord.Interaction) -> None:
    await interaction.response.send_message(describe(rules_for(interaction.client, interaction.guild_id)),
                                            ephemeral=True, allowed_mentions=NONE)


@config.command(name="channel", description="Let the bot answer in a channel, or stop it answering there")
@app_commands.describe(channel="A channel of this server", allow="True: answer there; False: not there")
@app_commands.check(check_admin)
async def channel(interaction: discord.Interaction, channel: app_commands.AppCommandChannel, allow: bool) -> None:
    current = rules_for(interaction.client, interaction.guild_id).channels
    listed = list(current) if current is not None else []
    if allow and channel.id not in listed:
        listed.append(channel.id)
    if not allow:
        if current is None:
            raise Refused("The bot answers in every channel here; allow the channels it should answer in instead "
                          "(`/config channel allow:True`), and it answers only there.")
        listed = [c for c in listed if c != channel.id]
    await _change(interaction, channels=listed)


@config.command(name="all-channels", description="Let the bot answer in every channel of this server")
@app_commands.check(check_admin)
async def all_channels(interaction: discord.Interaction) -> None:
    await _change(interaction, channels=None)


@config.command(name="cooldown", description="How many questions one person may ask in how many seconds")
@app_commands.check(check_admin)
async def cooldown(interaction: discord.Interaction, uses: app_commands.Range[int, 1, 100],
                   seconds: app_commands.Range[int, 0, 3600]) -> None:
    await _change(interaction, cooldown_uses=uses, cooldown_s=float(seconds))


@config.command(name="curator-channel", description="Where this server's declined questions and votes go")
@app_commands.describe(channel="A channel of this server; leave it out to post them nowhere")
@app_commands.check(check_admin)
async def curator_channel(interaction: discord.Interaction,
                          channel: app_commands.AppCommandChannel | None = None) -> None:
    await _change(interaction, curator_channel=channel.id if channel else 0)


@config.command(name="mentions", description="Whether posts to the curator channel name who asked or voted")
@app_commands.check(check_admin)
async def mentions(interaction: discord.Interaction, on: bool) -> None:
    await _change(interaction, mentions=on)


COMMANDS = (config,)
