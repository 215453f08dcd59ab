"""The web page under the API's security: hostile article text is only ever text, reads open or
keyed as configured, writes need a key, forms need their session's CSRF token and this site's
origin, sessions never carry the key, and the API's rate and body limits hold here too."""

from __future__ import annotations

import time

from api.web.session import SESSION_S, key_of_session, session_token
from tests.conftest import KEY, OTHER_KEY, wait_for_job
from tests.web_helpers import HOSTILE_TEXT, HOSTILE_TITLE, page, sign_in, text_of, web_client

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
ORIGIN = {"Origin": "http://testserver"}


def test_hostile_article_text_is_escaped_everywhere_it_appears(web):
    pages = [web.get("/articles/2026/hostile"), web.get("/collection", params={"text": "zeppelin"}),
             web.post("/ask", data={"question": "What closed at the zeppelin hangar?"})]
    for r in pages:
        assert r.status_code == 200
        assert "<script>alert" not in r.text and "<img src=x" not in r.text and "<b>Evil" not in r.text
        doc = page(r)
        assert [s.get("src") for s in doc.xpath("//script")] == ["/static/app.js"]
        assert doc.xpath("//img") == [] and doc.xpath("//b") == []
        assert not [a for a in doc.xpath("//a/@href") if a.lower().startswith("javascript")]
    reader = page(pages[0])
    assert text_of(reader.xpath("//h1")[0]) == HOSTILE_TITLE
    assert text_of(reader.xpath('//div[@id="article-text"]')[0]) == HOSTILE_TEXT
    assert "javascript:alert(document.cookie) (not a web address)" in text_of(reader)
    answer = page(pages[2])
    assert HOSTILE_TITLE in [text_of(a) for a in answer.xpath('//ol[@class="citations"]//a[@class="title"]')]


def test_pages_carry_a_strict_content_security_policy(web):
    for path in ("/", "/collection", "/articles/feed/ferry", "/key"):
        headers = web.get(path).headers
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy and headers["x-content-type-options"] == "nosniff"
    assert web.get("/static/app.js").status_code == 200 and web.get("/static/app.css").status_code == 200


def test_reads_need_a_key_when_the_server_says_so(web_indexed):
    with web_client(web_indexed, read_requires_key=True) as client:
        for path in ("/", "/collection?source=Wire", "/articles/feed/ferry"):
            r = client.get(path, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/key?next=")
        assert client.get("/", headers={"X-API-Key": KEY}).status_code == 200
        assert client.get("/v1/articles").status_code == 401  # the API is unchanged
        r = client.post("/key", data={"key": KEY, "next": "/collection?source=Wire"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/collection?source=Wire"
        assert client.get("/articles/feed/ferry").status_code == 200


def test_signing_in_sets_a_strict_cookie_that_is_not_the_key(web):
    r = web.post("/key", data={"key": "wrong-key-0123456789abc", "next": "/"}, follow_redirects=False)
    assert r.status_code == 403 and "not one of this server's API keys" in text_of(page(r))
    r = web.post("/key", data={"key": KEY, "next": "//evil.example/"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"  # never an open redirect
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=43200" in cookie
    assert KEY not in cookie


def test_session_tokens_are_checked_against_the_keys_and_expire():
    now = int(time.time())
    token = session_token(KEY, now)
    issued, nonce, _ = token.split(".")
    assert key_of_session(token, [OTHER_KEY, KEY], now) == (KEY, f"{now}.{nonce}")
    assert key_of_session(token, [OTHER_KEY], now) == (None, "")  # the key was removed: the session ends
    assert key_of_session(token, [KEY], now + SESSION_S + 1) == (None, "")
    assert key_of_session(session_token(KEY, now + 3600), [KEY], now) == (None, "")  # issued in the future
    forged = f"{now + 1}.{nonce}.{token.split('.')[2]}"
    assert key_of_session(forged, [KEY], now) == (None, "")
    assert key_of_session(f"{now}.{'0' * 16}.{token.split('.')[2]}", [KEY], now) == (None, "")  # another nonce
    assert key_of_session("garbage", [KEY], now) == (None, "")
    assert session_token(KEY, now) != token  # two sessions in one second are two sessions


def test_writes_need_a_session_a_csrf_token_and_this_origin(web):
    r = web.post("/collection/reindex", data={}, headers=ORIGIN)
    assert r.status_code == 401 and "needs a write key" in text_of(page(r))
    collection = page(web.get("/collection"))
    assert collection.xpath('//form[@action="/collection/reindex"]') == []
    assert collection.xpath('//a[@href="/key?next=/collection"]')
    token = sign_in(web)
    r = web.post("/collection/reindex", data={}, headers=ORIGIN)
    assert r.status_code == 403 and "CSRF token does not match" in text_of(page(r))
    tampered = token[:-1] + ("1" if token.endswith("0") else "0")  # one character off, never the token itself
    r = web.post("/collection/reindex", data={"csrf": tampered}, headers=ORIGIN)
    assert r.status_code == 403
    r = web.post("/collection/reindex", data={"csrf": token}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "may not post to this server" in text_of(page(r))
    r = web.post("/collection/reindex", data={"csrf": token}, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    job = wait_for_job(web, r.headers["location"].rsplit("/", 1)[1])
    assert job["status"] == "succeeded"
    status = page(web.get(r.headers["location"]))
    assert status.xpath('//p[@class="job-state"]/@data-status') == ["succeeded"]
    assert f"Generation {job['summary']['generation']} is now served" in text_of(status)


def test_a_client_with_the_key_in_its_header_writes_without_a_form_token(web):
    r = web.post("/collection/reindex", data={"full": "on"}, headers={"X-API-Key": KEY}, follow_redirects=False)
    assert r.status_code == 303
    assert wait_for_job(web, r.headers["location"].rsplit("/", 1)[1])["rebuild"] is True


def test_a_server_without_keys_offers_no_writing(web_indexed):
    with web_client(web_indexed, api_keys=[]) as client:
        assert "Writing is off: this server has no API keys" in text_of(page(client.get("/collection")))
        r = client.post("/collection/reindex", data={}, headers=ORIGIN)
        assert r.status_code == 403 and "set FOOTNOTE_API_KEYS" in text_of(page(r))
        r = client.post("/key", data={"key": KEY}, headers=ORIGIN)
        assert r.status_code == 403 and "has no API keys, so nobody can sign in" in text_of(page(r))


def test_adding_a_file_writes_it_through_the_corpus_folder_and_reindexes(web, web_indexed):
    token = sign_in(web)
    article = b"---\ntitle: Night buses return\ndate: 2026-07-01\n---\nNight buses return to the harbour route.\n"
    r = web.post("/collection/add", data={"csrf": token}, files={"file": ("Night Buses.md", article, "text/markdown")},
                 headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303, r.text
    job = wait_for_job(web, r.headers["location"].rsplit("/", 1)[1])
    assert job["status"] == "succeeded" and job["summary"]["added"] == 1
    assert (web_indexed / "corpus" / "web" / "night-buses.md").read_bytes() == article
    assert web.get("/v1/articles/web/night-buses").json()["title"] == "Night buses return"
    again = web.post("/collection/add", data={"csrf": token}, files={"file": ("night-buses.md", article)}, headers=ORIGIN)
    assert again.status_code == 409 and "tick \"Replace an article with the same id\"" in text_of(page(again))
    replaced = web.post("/collection/add", data={"csrf": token, "replace": "on"},
                        files={"file": ("night-buses.md", article)}, headers=ORIGIN, follow_redirects=False)
    assert replaced.status_code == 303
    bad = web.post("/collection/add", data={"csrf": token, "id": "../escape"}, files={"file": ("x.md", article)},
                   headers=ORIGIN)
    assert bad.status_code == 422 and "may not contain `.` or `..` segments" in text_of(page(bad))
    empty = web.post("/collection/add", data={"csrf": token}, files={"file": ("empty.txt", b"")}, headers=ORIGIN)
    assert empty.status_code == 422 and "empty" in text_of(page(empty))
    kind = web.post("/collection/add", data={"csrf": token}, files={"file": ("x.pdf", b"%PDF")}, headers=ORIGIN)
    assert kind.status_code == 415 and "is not an article format" in text_of(page(kind))
    nothing = web.post("/collection/add", data={"csrf": token}, headers=ORIGIN)
    assert nothing.status_code == 422 and "give a web address or choose a file" in text_of(page(nothing))


def test_adding_by_url_refuses_this_machine(web):
    token = sign_in(web)
    r = web.post("/collection/add", data={"csrf": token, "url": "http://127.0.0.1:9/secret"}, headers=ORIGIN)
    assert r.status_code == 422 and "inside this machine or a private network" in text_of(page(r))


def test_rate_and_body_limits_cover_the_web_forms(web_indexed):
    with web_client(web_indexed, rate_limit_per_minute=1, rate_limit_burst=1) as client:
        assert client.post("/ask", data={"question": "ferry"}).status_code == 200
        r = client.post("/ask", data={"question": "ferry"}, headers=BROWSER)
        assert r.status_code == 429 and r.headers["retry-after"]
        assert "too many requests from this client" in text_of(page(r))  # a page, not the API's JSON
        assert client.get("/static/app.css").status_code == 200  # static files are not counted
    with web_client(web_indexed, max_body_bytes=1024, max_article_bytes=4096) as client:
        token = sign_in(client)
        big = b"date 2026-01-01\n\n" + b"word " * 2000
        r = client.post("/collection/add", data={"csrf": token}, files={"file": ("big.txt", big)},
                        headers={**ORIGIN, **BROWSER})
        assert r.status_code == 413 and "over the 4096 byte limit" in text_of(page(r))
        fields = {"csrf": token, **{f"extra{n}": "x" for n in range(12)}}
        r = client.post("/collection/add", data=fields, headers={**ORIGIN, **BROWSER})
        assert r.status_code == 400 and "Too many fields" in text_of(page(r))
        r = client.post("/collection/add", data={"csrf": token}, files={"file": ("big.txt", big)}, headers=ORIGIN)
        assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"  # a script asked for JSON
        small = b"date 2026-01-01\n\n" + b"word " * 400  # over the body limit, under the article limit
        r = client.post("/collection/add", data={"csrf": token}, files={"file": ("small.txt", small)},
                        headers=ORIGIN, follow_redirects=False)
        assert r.status_code == 303


def test_signing_out_ends_the_session_for_every_copy_of_its_cookie(web_indexed):
    """A cookie copied before sign-out (another tab, a stolen copy) must not keep writing for
    the rest of its 12 hours; another session of the same key goes on."""
    with web_client(web_indexed) as client, web_client(web_indexed) as thief, web_client(web_indexed) as laptop:
        token = sign_in(client)
        laptop_token = sign_in(laptop)
        thief.cookies.set("footnote_session", client.cookies.get("footnote_session"))
        assert thief.post("/collection/reindex", data={"csrf": token}, headers=ORIGIN,
                          follow_redirects=False).status_code == 303  # the copy works while signed in
        r = client.post("/key/forget", data={"csrf": token}, headers=ORIGIN, follow_redirects=False)
        assert r.status_code == 303 and "footnote_session" not in client.cookies
        r = thief.post("/collection/reindex", data={"csrf": token}, headers=ORIGIN, follow_redirects=False)
        assert r.status_code == 401 and "sign in" in text_of(page(r))
        assert laptop.post("/collection/reindex", data={"csrf": laptop_token}, headers=ORIGIN,
                           follow_redirects=False).status_code == 303
