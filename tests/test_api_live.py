"""`footnote serve` as a real process on 127.0.0.1: httpx, a rebuild while queries run, and the
official `openai` client against the chat endpoint (plain and streaming)."""

from __future__ import annotations

import threading
import time

import httpx
import openai
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import live_server
from tests.conftest import KEY, WRITE, make_corpus, make_index, make_settings, wait_until_served

QUESTION = "How much will the Larkspur Line cost?"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A `footnote serve` process over a fresh index; yields (base url, tmp folder)."""
    tmp = tmp_path_factory.mktemp("live")
    make_corpus(tmp / "corpus")
    make_index(tmp / "corpus", tmp / "index")
    env = {"FOOTNOTE_API_KEYS": f'["{KEY}"]', "FOOTNOTE_RATE_LIMIT_PER_MINUTE": "0",
           "FOOTNOTE_ANSWER_THRESHOLD": "0"}
    with live_server(tmp, env) as base:
        yield base, tmp


def test_served_api_answers_and_switches_generation_while_queries_run(server):
    base, tmp = server
    with httpx.Client(base_url=base, timeout=30) as http:
        assert http.get("/docs").status_code == 200 and "/v1/ask" in http.get("/openapi.json").text
        first = http.post("/v1/ask", json={"question": QUESTION}).json()
        assert first["generation"] == "000001" and first["quotes"]

        seen, statuses, started = [], [], threading.Event()

        def ask_in_a_loop():
            with httpx.Client(base_url=base, timeout=30) as own:
                for i in range(500):  # bounded; stops soon after the new generation shows up
                    r = own.post("/v1/ask", json={"question": "What did the gondola company announce?"})
                    statuses.append(r.status_code)
                    seen.append(r.json().get("generation"))
                    if i >= 3:
                        started.set()
                    if seen.count("000002") >= 5:
                        return
                started.set()

        worker = threading.Thread(target=ask_in_a_loop)
        worker.start()
        assert started.wait(60)
        put = http.put("/v1/articles/2026/gondola", headers=WRITE, json={
            "title": "Gondola planned", "date": "2026-09-01", "text": "The gondola company announced a new line."})
        assert put.status_code == 202
        for _ in range(600):
            job = http.get(f"/v1/index/jobs/{put.json()['job']['id']}").json()
            if job["status"] in ("succeeded", "failed"):
                break
            time.sleep(0.05)
        worker.join(120)
        assert not worker.is_alive()
        assert job["status"] == "succeeded", job
        assert set(statuses) == {200}
        assert seen[0] == "000001" and seen[-1] == "000002"
        assert seen == sorted(seen)  # never back to the old generation once the new one serves
        after = http.post("/v1/ask", json={"question": "What did the gondola company announce?"}).json()
        assert after["generation"] == "000002" and after["citations"][0]["article_id"] == "2026/gondola"
        metrics = http.get("/metrics").text
        assert "footnote_index_generation 2.0" in metrics and 'footnote_answers_total{' in metrics


def test_openai_client_plain_and_streaming(server):
    base, _ = server
    client = openai.OpenAI(base_url=f"{base}/v1", api_key="not-needed-for-reading", max_retries=0)
    assert [m.id for m in client.models.list()] == ["footnote"]
    messages = [{"role": "system", "content": "Answer from the articles."},
                {"role": "user", "content": QUESTION}]
    plain = client.chat.completions.create(model="footnote", messages=messages)
    content = plain.choices[0].message.content
    answer = plain.model_extra["footnote"]
    assert plain.object == "chat.completion" and plain.choices[0].finish_reason == "stop"
    assert content.startswith(answer["text"]) and "[1]" in content and "\nSources:\n[1] " in content
    assert f"<{answer['citations'][0]['article_id']}>" in content

    pieces, last = [], None
    with client.chat.completions.create(model="footnote", messages=messages, stream=True) as stream:
        for chunk in stream:
            pieces.append(chunk.choices[0].delta.content or "")
            last = chunk
    assert "".join(pieces) == content
    assert last.choices[0].finish_reason == "stop" and last.model_extra["footnote"]["quotes"] == answer["quotes"]

    follow_up = client.chat.completions.create(model="footnote", messages=[
        *messages, {"role": "assistant", "content": content}, {"role": "user", "content": "and the length?"}])
    assert follow_up.model_extra["footnote"]["passages"][0]["article_id"] == answer["citations"][0]["article_id"]

    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4", messages=messages)
    assert "use model 'footnote'" in caught.value.message


@pytest.mark.model
def test_real_model_answers_through_the_api(tmp_path, real_embedder):
    """The bundled all-MiniLM-L6-v2 end to end: build, serve in-process, a cited answer."""
    from corpus.chunk import ChunkParams
    from index.build import build_index

    make_corpus(tmp_path / "corpus")
    build_index(tmp_path / "corpus", tmp_path / "index", real_embedder, ChunkParams(128), progress=False)
    settings = make_settings(tmp_path, model="all-MiniLM-L6-v2", warm_up=False)
    with TestClient(create_app(settings)) as c:
        c.app.state.services.retriever.embedder = real_embedder  # reuse the session's loaded model
        answer = c.post("/v1/ask", json={"question": "When did the Larkspur Line open to passengers?"}).json()
    assert not answer["abstained"], answer["confidence"]
    assert answer["citations"][0]["article_id"] == "2026/line-opens"


def test_serve_watch_indexes_a_saved_file_without_a_request(tmp_path):
    make_corpus(tmp_path / "corpus")
    make_index(tmp_path / "corpus", tmp_path / "index")
    with live_server(tmp_path, {"FOOTNOTE_WATCH": "true", "FOOTNOTE_RATE_LIMIT_PER_MINUTE": "0"}) as base:
        with httpx.Client(base_url=base, timeout=30) as http:
            assert http.get("/v1/articles/2026/pier").status_code == 404
            (tmp_path / "corpus" / "2026" / "pier.txt").write_text("date 2026-07-01\n\nThe new pier opened.\n")
            wait_until_served(http, "/v1/articles/2026/pier", "the saved article was not indexed")
            assert http.get("/v1/index").json()["articles"] == 5


def test_a_client_cannot_escape_the_rate_limit_by_naming_another_address(tmp_path):
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default; Footnote believes no proxy it
    was not told of, so rotating the header does not make a new client."""
    make_corpus(tmp_path / "corpus")
    make_index(tmp_path / "corpus", tmp_path / "index")
    env = {"FOOTNOTE_RATE_LIMIT_PER_MINUTE": "1", "FOOTNOTE_RATE_LIMIT_BURST": "3"}
    with live_server(tmp_path, env) as base:
        statuses = [httpx.get(f"{base}/v1/search", params={"q": "ferry"}, timeout=30,
                              headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(6)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429, 429], statuses


def test_a_configured_proxy_is_believed(tmp_path):
    make_corpus(tmp_path / "corpus")
    make_index(tmp_path / "corpus", tmp_path / "index")
    env = {"FOOTNOTE_RATE_LIMIT_PER_MINUTE": "1", "FOOTNOTE_RATE_LIMIT_BURST": "1",
           "FOOTNOTE_TRUSTED_PROXIES": '["127.0.0.1"]'}
    with live_server(tmp_path, env) as base:
        statuses = [httpx.get(f"{base}/v1/search", params={"q": "ferry"}, timeout=30,
                              headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(3)]
    assert statuses == [200, 200, 200], statuses  # three clients behind the proxy, one request each
