"""`--api` mode: the bot asks a Footnote API over HTTP through the same interface as in-process."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from corpus.additions import from_upload
from bot.remote import RemoteFootnote
from bot.footnote import ServiceError
from index.answer import Turn
from tests.conftest import KEY, live_server, make_corpus, make_index
from tests.bot_harness import Harness, embeds_of, make_bot, run

def test_the_client_speaks_the_live_api(tmp_path):
    """Every call the bot makes, against a real `footnote serve`: the shapes it reads are the
    API's own (a renamed field fails here), and the API's errors reach the curator as its message."""
    make_index(make_corpus(tmp_path / "corpus"), tmp_path / "index")
    upload = from_upload("tram.md", b"---\ntitle: Tram trial\ndate: 2026-05-02\n---\nThe Fernhill tram trial starts in May.\n",
                         "discord")
    progress = []

    async def progress_cb(text):
        progress.append(text)

    async def scenario(base):
        client, anonymous = RemoteFootnote.connect(base, KEY), RemoteFootnote.connect(base, None)
        client.poll_interval_s = 0.05
        try:
            answer = await client.ask("How much will the Larkspur Line cost?")
            followup = await client.ask("When did the line open to passengers?", (Turn("How much will the Larkspur Line cost?",
                                                                   ("2025/council-approves-line",)),), 3)
            passages = await client.search("harbour ferry", 3)
            status = await client.status()
            with pytest.raises(ServiceError, match="answered 401: .*X-API-Key"):
                await anonymous.remove_article("2025/tunnel-strike")
            with pytest.raises(ServiceError, match="answered 422: "):
                await client.ask(" ")
            ids = await client.put_article(upload)
            summary = await client.reindex(progress_cb)
            found = await client.find_articles("tram")
            removed = await client.remove_article("discord/tram")
            return answer, followup, passages, status, ids, summary, found, removed
        finally:
            await client.close()
            await anonymous.close()

    with live_server(tmp_path, {"FOOTNOTE_API_KEYS": json.dumps([KEY]), "FOOTNOTE_RATE_LIMIT_PER_MINUTE": "0"}) as base:
        answer, followup, passages, status, ids, summary, found, removed = asyncio.run(scenario(base))
    assert not answer["abstained"] and "1.2 billion" in " ".join(q["text"] for q in answer["quotes"])
    assert answer["citations"][0]["article_id"] == "2025/council-approves-line"
    assert followup["question"] == "When did the line open to passengers?"
    assert "opened to passengers" in " ".join(q["text"] for q in followup["quotes"])
    assert passages[0]["article_id"] == "feed/ferry" and len(passages) <= 3
    assert status["articles"] == 4 and status["generation"] == answer["generation"]
    assert ids == ["discord/tram"]
    # The upload queued its own re-index; the one asked for after it serves a newer generation.
    assert summary["generation"] > answer["generation"] and {"added", "changed", "removed"} <= set(summary)
    assert progress and all(p.startswith("Re-indexing on the server… ") for p in progress), progress
    assert ("discord/tram", "Tram trial") in found
    assert removed == "discord/tram"


def test_an_unreachable_or_failing_api_is_a_clear_message_that_shows_none_of_its_internals(caplog):
    """What the bot says may be posted publicly: where the API lives and what its server says
    about its disk go to the bot's log, for the admin; a 4xx about the question is passed on."""
    def refuse(request):
        raise httpx.ConnectError("refused")

    def damaged(request):
        if "ask" in request.url.path and b"?" not in request.content:
            return httpx.Response(422, json={"error": {"message": "question: end it with a question mark"}})
        return httpx.Response(503, json={"error": {"message": "segment s000001 in /srv/footnote/index is damaged"}})

    down = RemoteFootnote(httpx.AsyncClient(base_url="http://10.0.0.5:8000", transport=httpx.MockTransport(refuse)))
    with pytest.raises(ServiceError, match="could not be reached; an admin will find why in the bot's log") as unreached:
        asyncio.run(down.ask("Who runs the ferry?"))
    failing = RemoteFootnote(httpx.AsyncClient(base_url="http://10.0.0.5:8000", transport=httpx.MockTransport(damaged)))
    with pytest.raises(ServiceError, match=r"could not do that just now \(503\)") as broken:
        asyncio.run(failing.ask("Who runs the ferry?"))
    with pytest.raises(ServiceError, match="answered 422: question: end it with a question mark"):
        asyncio.run(failing.ask("ferry"))
    shown = str(unreached.value) + str(broken.value)
    assert "10.0.0.5" not in shown and "/srv/" not in shown
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "http://10.0.0.5:8000" in logged and "/srv/footnote/index is damaged" in logged


def test_against_a_live_footnote_serve(news_index, tmp_path):
    corpus, index, _ = news_index
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "FOOTNOTE_API_KEY": "secret"}
    server = subprocess.Popen([sys.executable, "-m", "index.cli", "serve", "--corpus", str(corpus), "--index", str(index),
                               "--model", "hash:64", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):  # wait until it listens (a readiness poll, not a timed assertion)
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)

        async def scenario(h: Harness):
            asked = await h.slash("ask", {"question": "Who is the librarian of the city library reading room?"})
            searched = await h.slash("search", {"query": "ferry fares"})
            return asked, searched

        service = RemoteFootnote.connect(url, "secret")
        (defer, send), (_, results) = run(scenario, make_bot(*news_index, tmp_path, service=service))
        assert defer.payload["type"] == 5
        assert "Ada Brook" in embeds_of(send)[0]["description"]
        assert "index generation 000001" in embeds_of(send)[0]["footer"]["text"]
        assert embeds_of(results)[0]["fields"][0]["name"] == "1. Ferry fares frozen"
    finally:
        server.terminate()
        server.wait()
