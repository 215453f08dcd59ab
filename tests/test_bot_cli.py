"""`footnote bot`: the invite link offline, settings that fail with the fix, feedback export (its
settings' documentation: tests/test_docs.py)."""

import base64
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import discord
import pytest

from bot.registration import PERMISSIONS
from bot.settings import BotSettings, application_id_from_token
from bot.store import BotStore
from index.cli import main

ROOT = Path(__file__).resolve().parents[1]
APP_ID = 123456789012345678
TOKEN = base64.b64encode(str(APP_ID).encode()).decode().rstrip("=") + ".GaBcDe.signature-part"


def test_invite_url_works_offline_with_exactly_the_needed_permissions(monkeypatch, capsys):
    monkeypatch.setenv("FOOTNOTE_DISCORD_TOKEN", TOKEN)
    assert main(["bot", "--invite-url"]) == 0
    url = urlparse(capsys.readouterr().out.strip())
    query = parse_qs(url.query)
    assert query["client_id"] == [str(APP_ID)]
    assert query["scope"] == ["bot applications.commands"]
    granted = discord.Permissions(int(query["permissions"][0]))
    assert {name for name, on in granted if on} == {  # discord.py calls View Channels read_messages
        "read_messages", "send_messages", "send_messages_in_threads", "create_public_threads",
        "embed_links", "read_message_history"}
    assert granted == PERMISSIONS


def test_the_application_id_setting_wins_and_a_bad_token_names_the_fix(monkeypatch):
    assert application_id_from_token(TOKEN) == APP_ID
    assert BotSettings(_env_file=None, discord_token="x", application_id=42).app_id() == 42
    with pytest.raises(ValueError, match="copied the bot token .* FOOTNOTE_APPLICATION_ID"):
        application_id_from_token("not-base64!.x.y")
    monkeypatch.delenv("FOOTNOTE_DISCORD_TOKEN", raising=False)
    with pytest.raises(ValueError, match="FOOTNOTE_DISCORD_TOKEN is not set; copy the token"):
        BotSettings(_env_file=None).token()


def test_missing_token_is_an_error_exit(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("FOOTNOTE_DISCORD_TOKEN", raising=False)
    assert main(["bot", "--index", str(tmp_path / "index")]) == 2
    assert "FOOTNOTE_DISCORD_TOKEN is not set" in capsys.readouterr().err


def test_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("FOOTNOTE_ALLOWED_CHANNELS", '{"1": [2, 3]}')
    monkeypatch.setenv("FOOTNOTE_CURATOR_ROLES", "[7]")
    monkeypatch.setenv("FOOTNOTE_COOLDOWN_S", "5")
    settings = BotSettings(_env_file=None)
    assert settings.allowed_channels == {1: [2, 3]} and settings.curator_roles == [7] and settings.cooldown_s == 5
    with pytest.raises(ValueError, match="not an http"):
        BotSettings(_env_file=None, api_url="localhost:8000")


def test_feedback_exports_as_json_lines(tmp_path, capsys):
    store = BotStore(tmp_path / "index" / "bot.sqlite")
    answer_id = store.save_answer({"question": "Q?", "text": "A. [1]", "generation": "000002"}, 1, 2)
    store.record_feedback(answer_id, 5, 1)
    store.close()
    out = tmp_path / "feedback.jsonl"
    assert main(["bot", "--index", str(tmp_path / "index"), "--export-feedback", str(out)]) == 0
    [row] = [json.loads(line) for line in out.read_text().splitlines()]
    assert (row["question"], row["answer"], row["generation"], row["vote"]) == ("Q?", "A. [1]", "000002", 1)
