"""`--api` mode: the bot asks a Footnote API over HTTP through the same interface as in-process."""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from bot.articles import check_file
from bot.remote import RemoteFootnote
from bot.service import ServiceError
from index.answer import Turn
from tests.test_bot_harness import Harness, embeds_of, make_bot, news_index, run

__all__ = ["news_index"]

ANSWER = {"question": "Who runs the ferry?", "text": "The operator's chief, Tom Reyes, said fuel prices had eased. [1]",
          "abstained": False, "confidence": 0.9,
          "quotes": [{"n": 1, "article_id": "2026/ferry", "start": 80, "end": 141,
                      "text": "The operator's chief, Tom Reyes, said fuel prices had eased.", "score": 2.0}],
          "citations": [{"n": 1, "article_id": "2026/ferry", "title": "Ferry fares frozen", "published": "2026-03-05",
                         "url": None, "source": "Bay Times", "duplicates": []}],
          "related": [], "passages": [], "generation": "000042", "as_of": "2026-11-24", "timings_ms": {}}


class FakeApi:
    """The API's endpoints as an httpx MockTransport handler; it records the requests."""

    def __init__(self):
        self.requests: list[httpx.Request] = []
        self.polls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/v1/ask":
            return httpx.Response(200, json={**ANSWER, "question": json.loads(request.content)["question"]})
        if path == "/v1/search":
            return httpx.Response(200, json={"passages": [{"article_id": "2026/ferry", "text": "x"}]})
        if path == "/v1/index/rebuild":
            return httpx.Response(202, json={"id": "job1", "status": "running"})
        if path == "/v1/index/jobs/job1":
            self.polls += 1
            done = self.polls > 1
            return httpx.Response(200, json={"id": "job1", "status": "succeeded" if done else "running",
                                             "summary": {"added": 1, "generation": "000043"} if done else None})
        if path.startswith("/v1/articles/") and request.method in ("PUT", "DELETE"):
            if request.headers.get("x-api-key") != "secret":
                return httpx.Response(401, json={"error": {"code": "unauthorized", "message": "a valid X-API-Key is needed"}})
            return httpx.Response(200, json={"id": path.removeprefix("/v1/articles/")})
        return httpx.Response(404, json={"error": {"message": f"no route {path}"}})


def remote(api: FakeApi, key: str | None = "secret") -> RemoteFootnote:
    headers = {"X-API-Key": key} if key else {}
    return RemoteFootnote(httpx.AsyncClient(base_url="http://api.test", headers=headers,
                                            transport=httpx.MockTransport(api)), poll_interval_s=0)


def test_the_client_speaks_the_api(tmp_path):
    import asyncio

    api = FakeApi()
    upload = check_file("tram.md", b"---\ntitle: Tram\ndate: 2026-05-02\n---\nThe tram trial starts in May.\n")
    progress = []

    async def progress_cb(text):
        progress.append(text)

    async def scenario():
        client = remote(api)
        answer = await client.ask("Who runs it?", (Turn("Were ferry fares frozen?", ("2026/ferry",)),), 5)
        passages = await client.search("ferry", 3)
        ids = await client.put_article(upload)
        summary = await client.reindex(progress_cb)
        with pytest.raises(ServiceError, match="a valid X-API-Key is needed"):
            await remote(api, key=None).remove_article("2026/ferry")
        await client.close()
        return answer, passages, ids, summary

    answer, passages, ids, summary = asyncio.run(scenario())
    ask = api.requests[0]
    assert json.loads(ask.content) == {"question": "Who runs it?", "k": 5,
                                       "history": [{"question": "Were ferry fares frozen?", "article_ids": ["2026/ferry"]}]}
    assert answer["generation"] == "000042"
    assert dict(api.requests[1].url.params) == {"q": "ferry", "k": "3"}
    assert passages == [{"article_id": "2026/ferry", "text": "x"}]
    put = api.requests[2]
    assert put.method == "PUT" and put.url.path == "/v1/articles/discord/tram" and put.headers["x-api-key"] == "secret"
    assert put.headers["content-type"].startswith("multipart/form-data")
    assert b'filename="tram.md"' in put.content and b"The tram trial starts in May." in put.content
    assert ids == ["discord/tram"] and summary == {"added": 1, "generation": "000043"}
    assert progress and progress[0].startswith("Re-indexing on the server")


def test_the_bot_answers_through_the_api_the_same_way(news_index, tmp_path):
    api = FakeApi()

    async def scenario(h: Harness):
        return await h.slash("ask", {"question": "Who runs the ferry?"})

    defer, send = run(scenario, make_bot(*news_index, tmp_path, service=remote(api)))
    assert defer.payload["type"] == 5
    [embed] = embeds_of(send)
    assert "Tom Reyes" in embed["description"] and "generation 000042" in embed["footer"]["text"]


def test_an_unreachable_api_is_a_clear_message():
    import asyncio

    def refuse(request):
        raise httpx.ConnectError("refused")

    client = RemoteFootnote(httpx.AsyncClient(base_url="http://127.0.0.1:9", transport=httpx.MockTransport(refuse)))
    with pytest.raises(ServiceError, match="could not be reached .* is `footnote serve` running"):
        asyncio.run(client.ask("Who runs the ferry?"))


@pytest.mark.skipif(importlib.util.find_spec("api.app") is None, reason="api.app is not written yet")
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
