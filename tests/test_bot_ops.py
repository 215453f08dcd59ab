"""Running the bot: logs with timestamps, a clean stop on SIGTERM (gateway first, then the store),
one process per token, `--sync` without a model or an index, curator commands hidden by default."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import textwrap

import discord
import pytest

from index.cli import main
from tests.test_bot_cli import APP_ID, TOKEN
from tests.test_bot_discord_limits import command_problems
from tests.bot_harness import Harness, user_payload

MANAGE_GUILD = str(discord.Permissions(manage_guild=True).value)


@pytest.fixture
def bot_env(monkeypatch, tmp_path, news_index):
    """The environment and arguments of `footnote bot` over the tiny index; logging restored after."""
    corpus, index, _ = news_index
    monkeypatch.setenv("FOOTNOTE_DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("FOOTNOTE_BOT_DB", str(tmp_path / "bot.sqlite"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)  # read TMPDIR again
    for logger in (logging.getLogger(), logging.getLogger("discord")):
        monkeypatch.setattr(logger, "handlers", list(logger.handlers))
        monkeypatch.setattr(logger, "level", logger.level)
    return ["bot", "--corpus", str(corpus), "--index", str(index), "--model", "hash:64"]


def test_error_ids_are_logged_with_a_timestamp(bot_env, monkeypatch, capsys):
    from bot.errors import error_text

    async def start(self, token, *, reconnect=True):  # instead of the gateway: one failure
        error_text(RuntimeError("the index vanished"))

    monkeypatch.setattr(discord.Client, "start", start)
    assert main(bot_env) == 0
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "the index vanished" in line)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line), line
    assert "ERROR" in line and "footnote.bot" in line and re.search(r"error [0-9a-f]{8}", line)


CHILD = textwrap.dedent("""
    import asyncio, sys
    import discord
    from bot.store import BotStore

    async def start(self, token, *, reconnect=True):  # a gateway connection that lasts until close()
        print("connected", flush=True)
        while not self.is_closed():
            await asyncio.sleep(0.02)

    close, close_store = discord.Client.close, BotStore.close

    async def close_gateway(self):
        if not self.is_closed():
            print("gateway closed", flush=True)
        await close(self)

    def store_closed(self):
        print("store closed", flush=True)
        close_store(self)

    discord.Client.start, discord.Client.close, BotStore.close = start, close_gateway, store_closed
    from index.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_sigterm_stops_cleanly_and_a_second_process_with_the_token_is_refused(bot_env, monkeypatch, capsys):
    child = subprocess.Popen([sys.executable, "-c", CHILD, *bot_env], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert child.stdout.readline().strip() == "connected"

        async def start(self, token, *, reconnect=True):
            return None

        monkeypatch.setattr(discord.Client, "start", start)
        assert main(bot_env) == 2
        err = capsys.readouterr().err
        assert f"another `footnote bot` for application {APP_ID} is running (pid {child.pid})" in err
        child.send_signal(signal.SIGTERM)
        out, child_err = child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == 0, child_err
    assert out.split("\n")[:2] == ["gateway closed", "store closed"]


def test_close_stops_the_gateway_before_the_store(harness_for, monkeypatch):
    order = []
    gateway_close = discord.Client.close

    async def close_gateway(self):
        order.append("gateway")
        await gateway_close(self)

    async def scenario(h: Harness):
        store_close = h.bot.store.close
        h.bot.store.close = lambda: (order.append("store"), store_close())
        monkeypatch.setattr(discord.Client, "close", close_gateway)
        return None

    harness_for(scenario)
    assert order[:2] == ["gateway", "store"]


class FakeApi:
    """Discord's REST endpoints `--sync` uses, recording what is registered."""

    def __init__(self):
        self.registered: list[dict] = []
        self.by_path: dict[str, list[dict]] = {}  # what each PUT left registered: global, or one server's

    async def request(self, http, route, **kwargs):
        if route.path == "/users/@me":
            return user_payload(APP_ID, "Footnote", bot=True)
        if route.path == "/oauth2/applications/@me":
            return {"id": str(APP_ID), "name": "Footnote", "description": "", "icon": None, "bot_public": False,
                    "bot_require_code_grant": False, "owner": user_payload(1), "verify_key": "k", "flags": 0}
        if route.method == "PUT" and route.path.endswith("/commands"):
            problems = command_problems(kwargs["json"], route.url)
            assert not problems, "Discord would refuse the registration:\n- " + "\n- ".join(problems)
            self.registered = kwargs["json"]
            self.by_path[route.url] = kwargs["json"]
            return [{"description": "", **c, "id": str(i + 1), "application_id": str(APP_ID), "version": "1"}
                    for i, c in enumerate(kwargs["json"])]
        raise AssertionError(f"--sync does not need {route.method} {route.path}")


def test_sync_needs_neither_the_model_nor_an_index_and_hides_curator_commands(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("FOOTNOTE_DISCORD_TOKEN", TOKEN)
    api = FakeApi()
    monkeypatch.setattr(discord.http.HTTPClient, "request", lambda self, route, **kw: api.request(self, route, **kw))
    code = main(["bot", "--sync", "--guild", "42", "--index", str(tmp_path / "no-index-yet"),
                 "--model", "no-such-model"])
    assert code == 0, capsys.readouterr().err
    assert "in server 42" in capsys.readouterr().out
    commands = {c["name"]: c for c in api.registered}
    assert {"ask", "search", "article", "reindex", "status", "Ask Footnote"} <= set(commands)
    for name in ("article", "reindex", "status"):
        assert str(commands[name]["default_member_permissions"]) == MANAGE_GUILD, name
    assert commands["ask"].get("default_member_permissions") is None
    assert commands["Ask Footnote"]["type"] == 3  # a message context menu


def test_an_interaction_another_process_answered_is_reported_once(harness_for, caplog):
    async def scenario(h: Harness):
        payload = h.interaction_payload(2, {"id": "1", "name": "ask", "type": 1,
                                            "options": [{"name": "question", "type": 3, "value": "Who?"}]})
        it = h.discord.open_interaction(payload, "/ask")
        it.response = 5  # the other process deferred first
        h.discord.expect(40060)
        h.state.parse_interaction_create(payload)
        await h.settle()
        return [c for c in h.discord.calls if c.path.endswith("/callback")]

    with caplog.at_level(logging.WARNING, logger="footnote.bot"):
        callbacks = harness_for(scenario)
    assert len(callbacks) == 1, "no error reply is attempted on an interaction that is not ours"
    assert any("another process answered" in r.getMessage() and "same token" in r.getMessage()
               for r in caplog.records)


def sync(monkeypatch, tmp_path, *args, home: str = "[42]"):
    monkeypatch.setenv("FOOTNOTE_DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("FOOTNOTE_DISCORD_CURATOR_GUILDS", home)
    api = FakeApi()
    monkeypatch.setattr(discord.http.HTTPClient, "request", lambda self, route, **kw: api.request(self, route, **kw))
    code = main(["bot", *args, "--index", str(tmp_path / "no-index-yet"), "--model", "no-such-model"])
    return code, api


def names(commands: list[dict]) -> set[str]:
    return {c["name"] for c in commands}


def test_sync_registers_curator_commands_in_the_home_server_only(monkeypatch, tmp_path, capsys):
    code, api = sync(monkeypatch, tmp_path, "--sync")
    assert code == 0, capsys.readouterr().err
    [(global_url, everyone), (home_url, curators)] = sorted(api.by_path.items(), key=lambda kv: "guilds" in kv[0])
    assert "guilds" not in global_url and "/guilds/42/" in home_url
    assert names(everyone) == {"ask", "search", "forget-me", "config", "Ask Footnote"}  # another server sees these
    [config] = [c for c in everyone if c["name"] == "config"]
    assert str(config["default_member_permissions"]) == MANAGE_GUILD  # each server's admins, for their server
    assert names(curators) == {"article", "reindex", "status", "feeds"}


def test_sync_without_a_home_server_registers_no_curator_command_and_says_why(monkeypatch, tmp_path, capsys):
    code, api = sync(monkeypatch, tmp_path, "--sync", home="[]")
    assert code == 0 and list(api.by_path) and all("guilds" not in url for url in api.by_path)
    assert "FOOTNOTE_DISCORD_CURATOR_GUILDS" in capsys.readouterr().out


def test_clear_removes_what_sync_guild_put_in_a_server(monkeypatch, tmp_path, capsys):
    code, api = sync(monkeypatch, tmp_path, "--clear", "--guild", "77")
    assert code == 0 and "removed Footnote's commands from server 77" in capsys.readouterr().out
    [(url, registered)] = api.by_path.items()
    assert "/guilds/77/" in url and registered == []
    code, _ = sync(monkeypatch, tmp_path, "--clear")
    assert code == 2 and "--clear needs --guild" in capsys.readouterr().err
