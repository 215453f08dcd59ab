"""What Discord is told about the bot: the permissions its invite link asks for, and the
commands it registers (`footnote bot --invite-url`, `--sync`, `--clear`)."""

from __future__ import annotations

import discord

PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, send_messages_in_threads=True,
                                  create_public_threads=True, embed_links=True, read_message_history=True)
SCOPES = ("bot", "applications.commands")


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(application_id, permissions=PERMISSIONS, scopes=SCOPES)


async def sync_commands(token: str, guild_id: int | None, home: list[int], clear: bool = False) -> int:
    """Register the commands: everyone's globally and the curator commands in the home servers
    only; with `guild_id`, every command in that one server (for testing); with `clear`, none
    there any more."""
    from discord import app_commands

    from bot.app import add_commands, intents

    client = discord.Client(intents=intents())
    tree = app_commands.CommandTree(client)
    async with client:
        await client.login(token)
        if clear:
            await tree.sync(guild=discord.Object(guild_id))  # nothing added for it: its list becomes empty
            print(f"removed Footnote's commands from server {guild_id}")
            return 0
        if guild_id:
            add_commands(tree)
            tree.copy_global_to(guild=discord.Object(guild_id))
            _registered(await tree.sync(guild=discord.Object(guild_id)), f"server {guild_id} (every command)")
            return 0
        add_commands(tree, home)
        _registered(await tree.sync(), "every server (global commands can take up to an hour to appear)")
        for server in home:
            _registered(await tree.sync(guild=discord.Object(server)), f"the home server {server}")
        if not home:
            print("curator commands not registered: set FOOTNOTE_DISCORD_CURATOR_GUILDS to the home server's id")
    return 0


def _registered(synced, where: str) -> None:
    names = ", ".join(("/" if c.type is discord.AppCommandType.chat_input else "") + c.name for c in synced)
    print(f"registered {names or 'nothing'} in {where}")
