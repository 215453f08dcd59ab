"""Auth, path escapes, size, question and rate limits, and the one error shape on every path."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.limits import TokenBuckets
from index.answer import MAX_K, MAX_QUESTION_CHARS
from tests.conftest import KEY, OTHER_KEY, WRITE, assert_error_shape, make_settings

ARTICLE = {"text": "A new article.", "date": "2026-01-01"}


@pytest.mark.parametrize("method,path", [("put", "/v1/articles/x"), ("delete", "/v1/articles/2026/line-opens"),
                                         ("post", "/v1/index/rebuild")])
def test_writes_need_a_key_401_without_403_with_a_wrong_one(client, method, path):
    kwargs = {"json": ARTICLE} if method == "put" else {}
    error = assert_error_shape(getattr(client, method)(path, **kwargs), 401, "missing_api_key")
    assert "X-API-Key" in error["message"]
    r = getattr(client, method)(path, headers={"X-API-Key": OTHER_KEY}, **kwargs)
    assert_error_shape(r, 403, "invalid_api_key")
    r = getattr(client, method)(path, headers={"Authorization": f"Bearer {OTHER_KEY}"}, **kwargs)
    assert_error_shape(r, 403, "invalid_api_key")
    assert getattr(client, method)(path, headers={"Authorization": f"Bearer {KEY}"}, **kwargs).status_code == 202


def test_unauthenticated_401_says_how_to_authenticate(client):
    r = client.post("/v1/index/rebuild")
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_without_configured_keys_writes_are_disabled_and_reads_can_require_a_key(indexed):
    with TestClient(create_app(make_settings(indexed, api_keys=[]))) as c:
        error = assert_error_shape(c.post("/v1/index/rebuild", headers=WRITE), 403, "writes_disabled")
        assert "FOOTNOTE_API_KEYS" in error["message"]
    with TestClient(create_app(make_settings(indexed, read_requires_key=True))) as c:
        assert_error_shape(c.get("/v1/search", params={"q": "ferry"}), 401)
        assert_error_shape(c.post("/v1/ask", json={"question": "ferry"}, headers={"X-API-Key": OTHER_KEY}), 403)
        assert c.post("/v1/ask", json={"question": "ferry"}, headers=WRITE).status_code == 200
        assert c.get("/healthz").status_code == 200
        assert_error_shape(c.get("/metrics"), 401)  # its routes and counts are reading too
        assert "footnote_index_generation" in c.get("/metrics", headers=WRITE).text


@pytest.mark.parametrize("article_id", ["%2E%2E/outside", "a/%2E%2E/%2E%2E/outside", "/etc/passwd",
                                        "a/%2E/b", ".hidden", "a\\b", "C:/x"])
def test_article_ids_cannot_escape_the_corpus_folder(client, indexed, article_id):
    r = client.put(f"/v1/articles/{article_id}", headers=WRITE, json=ARTICLE)
    assert_error_shape(r, 422, "invalid_article_id")
    assert_error_shape(client.delete(f"/v1/articles/{article_id}", headers=WRITE), 422, "invalid_article_id")
    assert not (indexed / "outside.json").exists() and not (indexed / "corpus" / ".hidden.json").exists()


def test_article_ids_cannot_leave_through_a_symlink(client, indexed):
    outside = indexed / "outside"
    outside.mkdir()
    os.symlink(outside, indexed / "corpus" / "link")
    (outside / "victim.txt").write_text("date 2026-01-01\n\nKeep me.")
    error = assert_error_shape(client.put("/v1/articles/link/new", headers=WRITE, json=ARTICLE), 422)
    assert "symbolic link" in error["message"]
    assert_error_shape(client.delete("/v1/articles/link/victim", headers=WRITE), 422, "invalid_article_id")
    os.symlink(outside / "victim.txt", indexed / "corpus" / "alias.txt")
    assert_error_shape(client.put("/v1/articles/alias", headers=WRITE, files={"file": ("a.txt", b"Hi.")}), 422)
    assert list(outside.iterdir()) == [outside / "victim.txt"]
    assert (outside / "victim.txt").read_text() == "date 2026-01-01\n\nKeep me."


def test_body_size_is_bounded_with_413(indexed):
    settings = make_settings(indexed, max_body_bytes=2048, max_article_bytes=4096)
    with TestClient(create_app(settings)) as c:
        error = assert_error_shape(c.post("/v1/ask", json={"question": "x" * 3000}), 413, "body_too_large")
        assert "2048 byte limit" in error["message"]
        chunks = (b"x" * 1024 for _ in range(3))  # no Content-Length: counted as it streams in
        assert_error_shape(c.post("/v1/ask", content=chunks, headers={"Content-Type": "application/json"}), 413)
        big = {"text": "word " * 700}  # 3.5 kB: over the ask limit, under the article limit
        assert c.put("/v1/articles/big", headers=WRITE, json=big).status_code == 202
        assert_error_shape(c.put("/v1/articles/big", headers=WRITE, json={"text": "word " * 1000}), 413)


def test_question_length_and_k_are_bounded_with_422(client):
    error = assert_error_shape(client.post("/v1/ask", json={"question": "x" * (MAX_QUESTION_CHARS + 1)}), 422,
                               "invalid_request")
    assert error["message"].startswith("body.question:") and str(MAX_QUESTION_CHARS) in error["message"]
    error = assert_error_shape(client.post("/v1/ask", json={"question": "ok", "k": MAX_K + 1}), 422)
    assert error["message"].startswith("body.k:")
    assert_error_shape(client.post("/v1/ask", json={"question": "ok", "k": 0}), 422)
    error = assert_error_shape(client.post("/v1/ask", json={"question": "   "}), 422, "invalid_question")
    assert "the question is empty" in error["message"]
    assert_error_shape(client.get("/v1/search", params={"q": "ok", "k": 51}), 422)
    error = assert_error_shape(client.post("/v1/ask", json={"question": "ok", "as_of": "0001-01-01"}), 422)
    assert error["message"].startswith("body.as_of:") and "1000-01-01" in error["message"]
    for question in ("As of 1 January 0001, what happened yesterday?", "It's January 1, 0001. What happened?",
                     "Today is 1 January 0001. What happened last week?", "What happened in January 0000?"):
        assert client.post("/v1/ask", json={"question": question}).status_code == 200, question
    assert_error_shape(client.get("/v1/search", params={"q": "x" * (MAX_QUESTION_CHARS + 1)}), 422)


def test_rate_limit_answers_429_with_retry_after(indexed):
    settings = make_settings(indexed, rate_limit_per_minute=6, rate_limit_burst=2)
    with TestClient(create_app(settings)) as c:
        assert [c.get("/v1/models").status_code for _ in range(2)] == [200, 200]
        r = c.get("/v1/models")
        error = assert_error_shape(r, 429, "rate_limited")
        assert 1 <= int(r.headers["retry-after"]) <= 10 and "FOOTNOTE_RATE_LIMIT_PER_MINUTE" in error["message"]
        assert c.get("/healthz").status_code == 200  # probes are never limited
        # A valid key has its own budget; a made-up one still counts against the IP.
        assert c.get("/v1/models", headers=WRITE).status_code == 200
        assert c.get("/v1/models", headers={"X-API-Key": OTHER_KEY}).status_code == 429


def test_token_buckets_refill_at_the_configured_rate():
    now = [0.0]
    buckets = TokenBuckets(rate_per_minute=60, burst=2, clock=lambda: now[0])
    assert [buckets.take("a"), buckets.take("a")] == [0.0, 0.0]
    assert buckets.take("a") == pytest.approx(1.0) and buckets.take("b") == 0.0
    now[0] = 1.0
    assert buckets.take("a") == 0.0 and buckets.take("a") > 0


def test_every_error_path_has_the_one_shape(indexed, monkeypatch):
    settings = make_settings(indexed, rate_limit_per_minute=1000, rate_limit_burst=1000)
    cases = [  # (method, path, kwargs, status)
        ("get", "/no/such/route", {}, 404),
        ("delete", "/v1/ask", {}, 405),
        ("post", "/v1/ask", {"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 422),
        ("post", "/v1/ask", {"json": {"question": "ok", "unknown": 1}}, 422),
        ("post", "/v1/ask", {"json": {"question": "ok", "as_of": "yesterday"}}, 422),
        ("post", "/v1/ask", {"json": {"question": " "}}, 422),
        ("get", "/v1/search", {}, 422),
        ("get", "/v1/articles", {"params": {"limit": 0}}, 422),
        ("get", "/v1/articles/none", {}, 404),
        ("get", "/v1/index/jobs/nope", {}, 404),
        ("put", "/v1/articles/x", {"json": ARTICLE}, 401),
        ("put", "/v1/articles/x", {"json": ARTICLE, "headers": {"X-API-Key": OTHER_KEY}}, 403),
        ("put", "/v1/articles/%2E%2E/x", {"json": ARTICLE, "headers": WRITE}, 422),
        ("put", "/v1/articles/x", {"json": {"text": ""}, "headers": WRITE}, 422),
        ("put", "/v1/articles/x", {"json": {"text": "t", "date": "someday"}, "headers": WRITE}, 422),
        ("post", "/v1/chat/completions", {"json": {"model": "gpt-4", "messages": [{"role": "user", "content": "x"}]}}, 404),
        ("post", "/v1/chat/completions", {"json": {"messages": [{"role": "system", "content": "x"}]}}, 422),
        ("post", "/v1/chat/completions", {"json": {"messages": []}}, 422),
        ("get", "/v1/models/gpt-4", {}, 404),
        ("post", "/v1/ask", {"content": b"x" * (2 * 1024 * 1024)}, 413),
        ("get", "/v1/search", {"params": {"q": "boom"}}, 500),
    ]
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        def explode(*args, **kwargs):
            raise RuntimeError("secret internals /etc/shadow")
        monkeypatch.setattr(c.app.state.services.retriever, "search", explode)
        for method, path, kwargs, status in cases:
            error = assert_error_shape(getattr(c, method)(path, **kwargs), status)
            assert "secret internals" not in error["message"], (path, error)
        r = c.get("/v1/search", params={"q": "boom"}, headers={"X-Request-ID": "trace-me-42"})
        assert_error_shape(r, 500, "internal_error")
        assert r.json()["error"]["request_id"] == "trace-me-42" and "trace-me-42" in r.json()["error"]["message"]
