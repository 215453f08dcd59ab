"""Discord bot (discord.py): to come."""
