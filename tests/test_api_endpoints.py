"""Each /v1 endpoint through a real app with its lifespan (TestClient), on a tiny index."""

from __future__ import annotations

import datetime as dt
import json

from fastapi.testclient import TestClient

from api.app import create_app
from index.answer import Answerer, AskRequest
from index.embed import HashingEmbedder
from index.search import LiveIndex, Retriever
from tests.conftest import WRITE, assert_error_shape, make_settings, wait_for_job

QUESTION = "How much will the Larkspur Line cost?"


def test_ask_returns_exactly_the_answer_object_of_the_core(indexed):
    settings = make_settings(indexed, answer_threshold=0.0)
    with TestClient(create_app(settings)) as c:
        got = c.post("/v1/ask", json={"question": QUESTION, "k": 3, "as_of": "2026-06-01"}).json()
        reader = c.app.state.services.answerer.reader  # the bundled reader, as the API runs by default
    assert reader is not None
    retriever = Retriever(LiveIndex(indexed / "index", "hash:64"), HashingEmbedder(64))
    want = Answerer(retriever, 0.0, reader=reader).answer(AskRequest(QUESTION, k=3, as_of=dt.date(2026, 6, 1))).as_dict()
    got.pop("timings_ms"), want.pop("timings_ms")
    assert got == json.loads(json.dumps(want))
    assert not got["abstained"] and got["quotes"] and got["citations"][0]["n"] == 1
    with TestClient(create_app(settings)) as c:
        for quote in got["quotes"]:  # verbatim: the article's text at the quote's offsets
            span = c.get(f"/v1/articles/{quote['article_id']}", params={"start": quote["start"], "end": quote["end"]})
            assert span.json()["span"]["text"] == quote["text"]


def test_ask_filters_history_and_abstention(client):
    r = client.post("/v1/ask", json={"question": "ferry crossing", "filters": {"sources": ["Wire"]}, "k": 2})
    assert r.status_code == 200
    assert {p["source"] for p in r.json()["passages"]} == {"Wire"}
    r = client.post("/v1/ask", json={"question": "tunnel strike", "filters": {
        "published_after": "2026-01-01", "article_ids": ["2026/line-opens"]}})
    assert {p["article_id"] for p in r.json()["passages"]} <= {"2026/line-opens"}
    r = client.post("/v1/ask", json={"question": "what about the machine?", "history": [
        {"question": "Why did tunnel workers strike?", "article_ids": ["2025/tunnel-strike"]}, "plain earlier text"]})
    assert r.status_code == 200 and r.json()["passages"][0]["article_id"] == "2025/tunnel-strike"
    r = client.post("/v1/ask", json={"question": "zebra quantum violin"})
    assert r.json()["abstained"] is True and r.json()["quotes"] == []


def test_search_ranks_passages_with_offsets_and_filters(client):
    r = client.get("/v1/search", params={"q": "harbour ferry", "k": 2})
    body = r.json()
    assert r.status_code == 200 and body["generation"] == "000001" and len(body["passages"]) <= 2
    top = body["passages"][0]
    assert top["article_id"] == "feed/ferry" and top["start"] == 0 and top["end"] == len(top["text"])
    scores = [p["score"] for p in body["passages"]]
    assert scores == sorted(scores, reverse=True)
    r = client.get("/v1/search", params={"q": "harbour", "published_before": "2025-12-31", "source": "Wire"})
    assert [p["article_id"] for p in r.json()["passages"]] == ["feed/ferry"]
    r = client.get("/v1/search", params={"q": "harbour", "article_id": ["2026/line-opens"]})
    assert [p["article_id"] for p in r.json()["passages"]] == ["2026/line-opens"]


def test_articles_list_pages_and_filters(client):
    body = client.get("/v1/articles", params={"limit": 2}).json()
    assert body["total"] == 4 and [a["id"] for a in body["articles"]] == ["2025/council-approves-line",
                                                                          "2025/tunnel-strike"]
    assert "text" not in body["articles"][0]
    body = client.get("/v1/articles", params={"limit": 2, "offset": 2}).json()
    assert [a["id"] for a in body["articles"]] == ["2026/line-opens", "feed/ferry"]
    body = client.get("/v1/articles", params={"published_after": "2025-06-01", "published_before": "2025-12-31"}).json()
    assert [a["id"] for a in body["articles"]] == ["2025/tunnel-strike"]
    body = client.get("/v1/articles", params={"source": "Valley Herald"}).json()
    assert body["total"] == 1 and body["articles"][0]["tags"] == []


def test_article_text_and_quoted_span_with_context(client):
    article = client.get("/v1/articles/2025/tunnel-strike").json()
    assert article["title"] == "Tunnel workers walk off the job" and article["source"] == "Valley Herald"
    start = article["text"].index("boring machine")
    end = start + len("boring machine")
    span = client.get("/v1/articles/2025/tunnel-strike", params={"start": start, "end": end, "context": 10}).json()["span"]
    assert span["text"] == "boring machine"
    assert span["before"] == article["text"][start - 10:start] and span["after"] == article["text"][end:end + 10]
    assert_error_shape(client.get("/v1/articles/2025/tunnel-strike", params={"start": 5, "end": 10**6}), 422,
                       "invalid_span")
    assert_error_shape(client.get("/v1/articles/nope/none"), 404, "article_not_found")


def test_put_json_article_is_written_atomically_and_indexed(client, indexed):
    r = client.put("/v1/articles/2026/bridge", headers=WRITE, json={
        "title": "Bridge reopens", "date": "2026-07-01", "source": "Wire", "text": "The old swing bridge reopened."})
    assert r.status_code == 202 and r.json()["path"] == "2026/bridge.json"
    assert r.headers["location"] == f"/v1/index/jobs/{r.json()['job']['id']}"
    assert json.loads((indexed / "corpus" / "2026" / "bridge.json").read_text())["title"] == "Bridge reopens"
    assert not [p for p in (indexed / "corpus" / "2026").iterdir() if p.name.startswith(".")]
    job = wait_for_job(client, r.json()["job"]["id"])
    assert job["status"] == "succeeded" and job["summary"]["added"] == 1 and job["summary"]["generation"] == "000002"
    assert job["progress"]["stage"] == "embedding" and job["progress"]["done"] == job["progress"]["total"] > 0
    article = client.get("/v1/articles/2026/bridge").json()
    assert article["generation"] == "000002" and article["published"] == "2026-07-01"
    # What GET returns can be PUT back (`published` is accepted for `date`).
    fields = {k: article[k] for k in ("title", "published", "url", "source", "author", "tags", "text")}
    r = client.put("/v1/articles/2026/bridge", headers=WRITE, json={**fields, "text": "It reopened again."})
    assert wait_for_job(client, r.json()["job"]["id"])["summary"]["changed"] == 1
    assert client.get("/v1/articles/2026/bridge").json()["published"] == "2026-07-01"


def test_put_upload_replaces_other_format_and_delete_removes(client, indexed):
    r = client.put("/v1/articles/2025/tunnel-strike", headers=WRITE,
                   files={"file": ("strike.txt", b"date 2025-09-11\n\nThe strike ended after talks.", "text/plain")})
    assert r.status_code == 202 and r.json()["removed"] == ["2025/tunnel-strike.md"]
    assert wait_for_job(client, r.json()["job"]["id"])["summary"]["changed"] == 1
    assert client.get("/v1/articles/2025/tunnel-strike").json()["text"] == "The strike ended after talks."
    r = client.delete("/v1/articles/2025/tunnel-strike", headers=WRITE)
    assert r.status_code == 202 and r.json()["removed"] == ["2025/tunnel-strike.txt"]
    assert wait_for_job(client, r.json()["job"]["id"])["summary"]["removed"] == 1
    assert_error_shape(client.get("/v1/articles/2025/tunnel-strike"), 404)
    assert_error_shape(client.delete("/v1/articles/2025/tunnel-strike", headers=WRITE), 404, "article_not_found")


def test_put_refuses_what_does_not_parse_and_leaves_the_folder_as_it_was(client, indexed):
    before = sorted(p.relative_to(indexed).as_posix() for p in (indexed / "corpus").rglob("*"))
    error = assert_error_shape(client.put("/v1/articles/new/empty", headers=WRITE, files={
        "file": ("a.txt", b"\x00\x01binary", "application/octet-stream")}), 422, "invalid_article")
    assert "new/empty.txt is a binary file" in error["message"]
    assert_error_shape(client.put("/v1/articles/new/bad", headers=WRITE, files={
        "file": ("a.docx", b"hello", "application/octet-stream")}), 415, "unsupported_format")
    assert_error_shape(client.put("/v1/articles/new/many", headers=WRITE, files={
        "file": ("a.jsonl", b'{"text": "one"}\n{"text": "two"}\n', "application/json")}), 422, "invalid_article")
    assert_error_shape(client.put("/v1/articles/feed/ferry", headers=WRITE, json={"text": "x"}), 409,
                       "article_in_collection")
    assert_error_shape(client.put("/v1/articles/x", headers=WRITE, content=b"text", ), 415)
    after = sorted(p.relative_to(indexed).as_posix() for p in (indexed / "corpus").rglob("*"))
    assert after == before


def test_rebuild_job_index_status_and_live_switch(client, indexed):
    assert client.get("/v1/index").json()["newer_than_index"] == []
    (indexed / "corpus" / "2026" / "late.txt").write_text("date 2026-08-01\n\nA late article about gondolas.")
    status = client.get("/v1/index").json()
    assert status["generation"] == "000001" and status["newer_than_index"] == ["2026/late.txt"]
    assert status["model"] == {"name": "hash:64", "dimension": 64, "vectors": "hash:64|hash|fp32"} and status["articles"] == 4
    assert status["index"] is None and status["corpus"] is None  # the server's paths are not for anyone
    keyed = client.get("/v1/index", headers=WRITE).json()
    assert keyed["index"] == str(indexed / "index") and keyed["corpus"] == str(indexed / "corpus")
    r = client.post("/v1/index/rebuild", headers=WRITE)
    assert r.status_code == 202 and r.json()["status"] in ("queued", "running", "succeeded")
    job = wait_for_job(client, r.json()["id"])
    assert job["status"] == "succeeded" and job["summary"]["added"] == 1 and job["error"] is None
    assert set(job["summary"]) >= {"added", "changed", "removed", "skipped", "chunks_total", "generation", "model"}
    # No restart: the next request reads the new generation.
    assert client.get("/v1/index").json()["generation"] == "000002"
    assert client.post("/v1/ask", json={"question": "gondolas"}).json()["generation"] == "000002"
    assert client.get("/readyz").json() == {"status": "ready", "generation": "000002"}


def test_failed_rebuild_keeps_the_old_generation_and_says_why(client, indexed):
    (indexed / "corpus").rename(indexed / "moved")
    job = wait_for_job(client, client.post("/v1/index/rebuild", headers=WRITE).json()["id"])
    assert job["status"] == "failed" and "does not exist" in job["error"] and job["summary"] is None
    r = client.post("/v1/ask", json={"question": "ferry"})
    assert r.status_code == 200 and r.json()["generation"] == "000001"


def test_health_readiness_models_and_metrics(tmp_path):
    with TestClient(create_app(make_settings(tmp_path))) as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        error = assert_error_shape(c.get("/readyz"), 503, "not_ready")
        assert "footnote index" in error["message"] and "no index in the index folder" in error["message"]
        asked = assert_error_shape(c.post("/v1/ask", json={"question": "anything"}), 503, "index_unavailable")
        assert str(tmp_path) not in asked["message"] + error["message"]  # a reader learns nothing of the disk
        keyed = assert_error_shape(c.get("/readyz", headers=WRITE), 503, "not_ready")
        assert str(tmp_path / "index") in keyed["message"]  # a key holder, who runs it, sees where
        assert str(tmp_path) not in c.get("/").text
        (tmp_path / "corpus").mkdir()
        (tmp_path / "corpus" / "a.txt").write_text("date 2026-01-01\n\nThe tram line opened.")
        job = wait_for_job(c, c.post("/v1/index/rebuild", headers=WRITE).json()["id"])
        assert job["status"] == "succeeded"
        assert c.get("/readyz").json() == {"status": "ready", "generation": "000001"}
        assert c.post("/v1/ask", json={"question": "tram line"}).status_code == 200
        assert c.get("/v1/models").json()["data"][0]["id"] == "footnote"
        assert c.get("/v1/models/footnote").json()["owned_by"] == "footnote"
        text = c.get("/metrics").text
    assert 'footnote_answers_total{endpoint="ask",outcome=' in text
    assert "footnote_index_generation 1.0" in text and "footnote_index_chunks 1.0" in text
    assert 'footnote_rebuild_duration_seconds_count{state="succeeded"} 1.0' in text
    assert 'http_requests_total{handler="/v1/ask",method="POST",status="2xx"}' in text
    assert 'http_request_duration_seconds_count{handler="/v1/ask"' in text


def test_jobs_are_visible_to_other_worker_processes(client, indexed):
    job = wait_for_job(client, client.post("/v1/index/rebuild", headers=WRITE).json()["id"])
    with TestClient(create_app(make_settings(indexed))) as other:  # another worker, same index folder
        seen = other.get(f"/v1/index/jobs/{job['id']}").json()
    assert seen == job and seen["status"] == "succeeded"


def test_cors_is_off_by_default_and_configurable(indexed):
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    with TestClient(create_app(make_settings(indexed))) as c:
        assert "access-control-allow-origin" not in c.options("/v1/ask", headers=preflight).headers
    with TestClient(create_app(make_settings(indexed, cors_origins=["https://app.example"]))) as c:
        r = c.options("/v1/ask", headers=preflight)
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://app.example"
