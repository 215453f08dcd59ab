"""GET /v1/gaps on a real app (lifespan, index, gap store): questions declined through /v1/ask,
/v1/chat/completions and the web page come back grouped, the list is keyed, and a gap closes
once a rebuild brings an article that answers it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import KEY, OTHER_KEY, WRITE, assert_error_shape, make_settings, wait_for_job, write
from tests.test_gaps_core import POOL, POOL_ARTICLE, ZOO


def gaps_client(indexed):
    """The app as the core tests answer: the retriever alone (no reader), declining below 0.3."""
    return TestClient(create_app(make_settings(indexed, answer_threshold=0.3, reader="off")))


def test_declined_questions_from_the_api_and_the_web_page_come_back_grouped(indexed):
    with gaps_client(indexed) as client:
        assert client.post("/v1/ask", json={"question": POOL[0]}).json()["abstained"]
        chat = client.post("/v1/chat/completions", json={"model": "footnote", "messages": [
            {"role": "user", "content": POOL[1]}]})
        assert chat.status_code == 200
        page = client.post("/ask", data={"question": POOL[2]})
        assert page.status_code == 200 and 'class="answer abstained"' in page.text
        client.post("/v1/ask", json={"question": ZOO[0]})
        assert not client.post("/v1/ask", json={"question": "How long is the Larkspur Line?"}).json()["abstained"]

        body = client.get("/v1/gaps", headers=WRITE).json()
        pool, zoo = body["gaps"]
        assert pool["count"] == 3 and pool["label"] in POOL and not pool["closed"]
        assert sorted(q["question"] for q in pool["questions"]) == sorted(POOL)
        assert sorted(q["origin"] for q in pool["questions"]) == ["api", "api", "web"]
        assert pool["last_asked"] == pool["questions"][0]["asked_at"] >= pool["first_asked"]
        assert pool["nearest"] and {"article_id", "title", "published"} == set(pool["nearest"][0])
        assert [q["question"] for q in zoo["questions"]] == [ZOO[0]]
        assert client.get("/v1/gaps", params={"since": "1d"}, headers=WRITE).json() == body
        assert client.get("/v1/gaps", params={"since": "2999-01-01"}, headers=WRITE).json() == {"gaps": []}
        assert client.get("/v1/gaps", params={"guild": 5}, headers=WRITE).json() == {"gaps": []}  # no server's


def test_the_gap_list_needs_a_valid_key(indexed):
    with gaps_client(indexed) as client:
        client.post("/v1/ask", json={"question": POOL[0]})
        assert_error_shape(client.get("/v1/gaps"), 401, "missing_api_key")
        assert_error_shape(client.get("/v1/gaps", headers={"X-API-Key": OTHER_KEY}), 403, "invalid_api_key")
        assert client.get("/v1/gaps", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
        assert_error_shape(client.get("/v1/gaps", params={"since": "soon"}, headers=WRITE), 422)


def test_a_gap_closes_once_a_rebuild_answers_it(indexed):
    with gaps_client(indexed) as client:
        client.post("/v1/ask", json={"question": POOL[0]})
        client.post("/v1/ask", json={"question": ZOO[0]})
        assert len(client.get("/v1/gaps", headers=WRITE).json()["gaps"]) == 2
        write(indexed / "corpus", {"2026/pool.md": POOL_ARTICLE})
        job = client.post("/v1/index/rebuild", headers=WRITE).json()
        assert wait_for_job(client, job["id"])["status"] == "succeeded"

        assert [g["label"] for g in client.get("/v1/gaps", headers=WRITE).json()["gaps"]] == [ZOO[0]]
        everything = client.get("/v1/gaps", params={"all": "true"}, headers=WRITE).json()["gaps"]
        assert [(g["label"], g["closed"], g["closed_by"]) for g in everything] == [
            (ZOO[0], False, None), (POOL[0], True, "2026/pool")]
        assert everything[1]["closed_at"] >= everything[1]["last_asked"]


def test_the_gaps_page_is_for_signed_in_curators_and_leaves_private_questions_out(indexed):
    with gaps_client(indexed) as client:
        client.post("/v1/ask", json={"question": POOL[0]})
        store = client.app.state.services.gaps.store
        store.record(POOL[1], "declined", "discord", guild_id=5, private=True, answer_id=9)
        signed_out = client.get("/gaps", follow_redirects=False)
        assert signed_out.status_code == 303 and signed_out.headers["location"] == "/key?next=%2Fgaps"
        assert ">Gaps</a>" not in client.get("/").text
        page = client.get("/gaps", headers=WRITE)
        assert page.status_code == 200 and POOL[0] in page.text and POOL[1] not in page.text
        api = client.get("/v1/gaps", headers=WRITE).json()  # the operator's API shows it, marked private
        assert [q["private"] for q in api["gaps"][0]["questions"]] == [True, False]


def test_the_bot_on_the_api_keeps_its_own_gaps_so_the_api_keeps_none_of_its_questions(indexed):
    """`footnote bot --api`: the bot keeps its Discord questions with their server and privacy;
    the API it asks does not keep them again (as `api`, without either)."""
    import asyncio

    import httpx

    from bot.remote import RemoteFootnote

    with gaps_client(indexed) as client:
        async def ask_as_the_bot() -> dict:
            transport = httpx.ASGITransport(client.app)
            remote = RemoteFootnote(httpx.AsyncClient(transport=transport, base_url="http://footnote", headers=WRITE))
            try:
                return await remote.ask(POOL[0])
            finally:
                await remote.close()

        assert asyncio.run(ask_as_the_bot())["abstained"]
        assert client.get("/v1/gaps", headers=WRITE).json() == {"gaps": []}
        client.post("/v1/ask", json={"question": POOL[1]})  # anyone else's is kept
        assert len(client.get("/v1/gaps", headers=WRITE).json()["gaps"]) == 1
