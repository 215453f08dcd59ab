"""The bot's settings (environment, prefix FOOTNOTE_): read only by `footnote bot`."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class BotSettings(BaseSettings):
    """Every setting of the bot; docs/discord.md lists them all (tests/test_docs.py checks)."""

    model_config = SettingsConfigDict(env_prefix="FOOTNOTE_", extra="ignore")

    discord_token: SecretStr | None = None
    application_id: int | None = None  # else read from the token
    api_url: str | None = None  # answer through a running `footnote serve` instead of in-process
    api_key: SecretStr | None = None
    # The home server(s): the only servers whose members may change the collection (with Manage
    # Server or a curator role), and whose declined questions and votes reach the curator channel.
    discord_curator_guilds: list[int] = Field(default_factory=list)
    curator_roles: list[int] = Field(default_factory=list)  # role ids allowed the curator commands
    allowed_channels: dict[int, list[int]] = Field(default_factory=dict)  # guild id -> channel ids
    cooldown_uses: int = Field(default=3, ge=1)  # questions a user may ask...
    cooldown_s: float = Field(default=30.0, ge=0)  # ...within this many seconds
    answer_timeout_s: float = Field(default=60.0, gt=0)
    history_turns: int = Field(default=6, ge=1)  # per thread
    k: int = Field(default=5, ge=1, le=50)  # passages per answer
    search_k: int = Field(default=20, ge=1, le=50)
    search_per_page: int = Field(default=5, ge=1, le=10)
    bot_db: Path | None = None  # default: bot.sqlite in the index folder
    upload_folder: str = "discord"  # where /article add puts files, under the corpus
    curator_channel: int | None = None  # where the home server's votes and declined questions are posted
    curator_mentions: bool = False  # name who asked or voted in those posts (the home server opts in)
    retention_days: int = Field(default=90, ge=0)  # questions (with who asked) kept this long; 0: forever

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"FOOTNOTE_API_URL={value!r} is not an http(s) URL; write e.g. http://127.0.0.1:8000")
        return value

    def token(self) -> str:
        """The bot token, or a message saying where to get it."""
        if self.discord_token is None or not self.discord_token.get_secret_value().strip():
            raise ValueError("FOOTNOTE_DISCORD_TOKEN is not set; copy the token from the Discord Developer "
                             "Portal (your application -> Bot -> Reset Token) and export it")
        return self.discord_token.get_secret_value().strip()

    def app_id(self) -> int:
        """The application id: the setting, else the first part of the token."""
        if self.application_id:
            return self.application_id
        return application_id_from_token(self.token())


def application_id_from_token(token: str) -> int:
    """A bot token starts with the base64 of the bot's user id, which is the application id."""
    head = token.split(".", 1)[0]
    try:
        return int(base64.b64decode(head + "=" * (-len(head) % 4), validate=True).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValueError("FOOTNOTE_DISCORD_TOKEN does not start with an application id; check that you "
                         "copied the bot token (not the client secret), or set FOOTNOTE_APPLICATION_ID") from None
