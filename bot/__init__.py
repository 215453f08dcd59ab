"""Discord bot (discord.py): slash commands, buttons, forms and a message menu over Footnote."""
