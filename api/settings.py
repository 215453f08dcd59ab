"""The API's settings: FOOTNOTE_* environment variables and a `.env` file, checked at start."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.answer import THRESHOLD
from index.paths import DEMO_CORPUS, default_index_dir
from index.embed import DEFAULT_MODEL
from index.gaps import SIMILARITY

MIN_KEY_CHARS = 16


class Settings(BaseSettings):
    """Everything `create_app` needs; only `footnote serve` reads it from the environment."""

    model_config = SettingsConfigDict(env_prefix="FOOTNOTE_", env_file=".env", extra="ignore")

    corpus: Path = DEMO_CORPUS
    index: Path = Field(default_factory=default_index_dir)
    model: str = DEFAULT_MODEL
    store: str | None = None  # milvus://HOST:PORT[/DB]: serve the generation its alias names; None: the folder
    api_keys: list[SecretStr] = []  # JSON list: FOOTNOTE_API_KEYS='["key-one", "key-two"]'
    read_requires_key: bool = False  # reading (ask, search, articles, chat) open unless set
    rate_limit_per_minute: int = Field(120, ge=0)  # per API key, else per client IP; 0 turns it off
    rate_limit_burst: int = Field(30, ge=1)
    cors_origins: list[str] = []
    # Addresses (or networks) of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are
    # believed; none by default, so a client cannot pick its own address for the rate limit.
    trusted_proxies: list[str] = []
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    max_article_bytes: int = Field(10 * 1024 * 1024, ge=1024)  # PUT /v1/articles/{id}
    query_threads: int = Field(4, ge=1, le=64)  # model and index work runs here, off the event loop
    answer_threshold: float = Field(THRESHOLD, ge=0.0, le=1.0)  # abstain below this confidence
    reader: str = "bundled"  # the answer reader: bundled, off, or a folder from `footnote train-reader`
    warm_up: bool = True  # load the model at start rather than on the first question
    watch: bool = False  # re-index a moment after files in the corpus folder change
    gap_similarity: float = Field(SIMILARITY, ge=-1.0, le=1.0)  # questions this alike are one gap (docs/gaps.md)

    @field_validator("api_keys")
    @classmethod
    def _keys_long_enough(cls, keys: list[SecretStr]) -> list[SecretStr]:
        for n, key in enumerate(keys, 1):
            size = len(key.get_secret_value())
            if size < MIN_KEY_CHARS:
                raise ValueError(
                    f"FOOTNOTE_API_KEYS: key {n} is {size} characters long; use at least {MIN_KEY_CHARS}, "
                    "e.g. the output of `python -c 'import secrets; print(secrets.token_urlsafe(32))'`")
        return keys

    @field_validator("model")
    @classmethod
    def _model_named(cls, model: str) -> str:
        if not model.strip():
            raise ValueError("FOOTNOTE_MODEL is empty; name a sentence-transformers model, a folder, or `hash`")
        return model.strip()

    @field_validator("reader")
    @classmethod
    def _reader_known(cls, reader: str) -> str:
        reader = reader.strip() or "bundled"
        if reader not in ("bundled", "off") and not Path(reader).expanduser().is_dir():
            raise ValueError(f"FOOTNOTE_READER: {reader!r} is not a folder; use bundled (the default), off, or a "
                             "folder written by `footnote train-reader`")
        return reader

    def key_values(self) -> list[str]:
        return [key.get_secret_value() for key in self.api_keys]
