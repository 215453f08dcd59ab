"""Adding an article by its web address: the fetcher connects only to addresses its policy
allows, after every redirect too, and stops at a size cap; the page is kept as Markdown with its
address. A real HTTP server on 127.0.0.1 stands in for the web."""

from __future__ import annotations

import functools
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from corpus.fetch import FetchError, fetch_page, is_public, web_address
from tests.conftest import wait_for_job
from tests.web_helpers import page, sign_in, text_of, web_client
from tests.web_site import HTML, ONLY_THE_TEST_SERVER, serve_site

PAGE = b"""<!doctype html><html><head><title>Harbour tram trial starts</title>
<meta property="article:published_time" content="2026-05-05"><meta property="og:site_name" content="Quay Post">
</head><body><article><h1>Harbour tram trial starts</h1>
<p>The harbour tram trial started on Monday with three vehicles running between the quay and the market.</p>
<p>Officials said the trial would last six weeks before a decision on a permanent service.</p>
</article></body></html>"""


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[str, list]]:
    """A small web on 127.0.0.1: (its base URL, the (host, path) pairs it was asked for)."""
    routes = {
        "/page": (200, HTML, PAGE),
        "/idna": (200, {"Content-Type": "text/html; charset=idna"}, PAGE),
        "/punycode": (200, {"Content-Type": "text/html; charset=punycode"}, PAGE),
        "/rot13": (200, {"Content-Type": "text/html; charset=rot13"}, PAGE),
        "/undated": (200, HTML, PAGE.replace(b'<meta property="article:published_time" content="2026-05-05">', b"")),
        "/to-page": (302, {"Location": "/page"}, b""),
        "/to-other-loopback": (302, {"Location": "http://127.0.0.2:{port}/page"}, b""),
        "/to-metadata": (301, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/to-ipv6-loopback": (307, {"Location": "http://[::1]:{port}/page"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/big": (200, HTML, [b"<p>" + b"x" * 65536 + b"</p>"] * 32),
        "/pdf": (200, {"Content-Type": "application/pdf"}, b"%PDF-1.7"),
        "/wiki/K%C3%B6ln": (200, HTML, PAGE),
    }
    with serve_site(routes) as (port, seen):
        yield f"http://127.0.0.1:{port}", seen


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "10.0.0.7", "172.16.3.4", "192.168.1.1",
                                     "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fe80::1%lo",
                                     "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:a00:1::1", "224.0.0.1",
                                     "64:ff9b::a00:1", "64:ff9b::7f00:1", "64:ff9b:1::a00:1"])
def test_addresses_inside_a_machine_or_a_private_network_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111", "64:ff9b::5db8:d70e"])
def test_public_addresses_are(address):
    assert is_public(address)


def test_the_default_policy_refuses_this_machine_before_connecting(site):
    base, seen = site
    before = len(seen)
    for url in (f"{base}/page", base.replace("127.0.0.1", "localhost") + "/page", "http://[::1]:9/page"):
        with pytest.raises(FetchError, match="inside this machine or a private network"):
            fetch_page(url)
    assert len(seen) == before  # nothing reached the server
    with pytest.raises(FetchError) as refused:
        fetch_page(base.replace("127.0.0.1", "localhost") + "/page")
    assert "127.0.0.1" not in str(refused.value)  # what this network's DNS answers is not told


@pytest.mark.parametrize("url, fix", [
    ("http://example.org:99999/", "is not a valid web address"), ("http://example.org:-1/", "is not a valid web address"),
    ("http://example.org:abc/", "is not a valid web address"), ("http://[::1/", "is not a valid web address"),
    ("http://example.org:0/", "give a port from 1 to 65535"),
    ("http://a..example/", "not a valid domain name"), (f"http://{'a' * 64}.example/", "not a valid domain name")])
def test_an_address_that_cannot_be_fetched_is_refused_with_what_is_wrong(url, fix):
    with pytest.raises(FetchError, match=fix):
        fetch_page(url)


def test_non_ascii_hosts_and_paths_are_sent_as_the_web_writes_them(site):
    assert web_address("http://bücher.example/") == "http://xn--bcher-kva.example/"
    assert web_address("https://de.wikipedia.org/wiki/Köln?s=Düsseldorf") == \
        "https://de.wikipedia.org/wiki/K%C3%B6ln?s=D%C3%BCsseldorf"
    assert web_address("HTTP://[2606:4700::1111]:8080/a%20b") == "http://[2606:4700::1111]:8080/a%20b"
    base, _ = site
    final, html = fetch_page(base.replace("127.0.0.1", "localhost") + "/wiki/Köln",
                             allowed=ONLY_THE_TEST_SERVER)
    assert final.endswith("/wiki/K%C3%B6ln") and "Harbour tram trial starts" in html


def test_a_server_that_sends_its_headers_a_byte_at_a_time_is_given_up_on_at_the_deadline():
    """The deadline covers the whole exchange, not only the body: each byte arriving within the
    read timeout must not keep the fetch alive."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle():
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"a" * 200:
                if stop.wait(0.2):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    threading.Thread(target=trickle, daemon=True).start()
    outcome = []

    def fetch():
        try:
            fetch_page(f"http://127.0.0.1:{listener.getsockname()[1]}/", allowed=ONLY_THE_TEST_SERVER, timeout_s=1.0)
        except FetchError as exc:
            outcome.append(str(exc))

    worker = threading.Thread(target=fetch, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(30)  # the trickle would last 40 s; a liveness bound, not a speed target
    stop.set()
    listener.close()
    assert not worker.is_alive(), f"still fetching after {time.monotonic() - started:.0f} s"
    assert outcome and "took longer than 1 s to arrive; save the page and upload it" in outcome[0]


def test_a_page_is_fetched_through_an_allowed_redirect(site):
    base, _ = site
    final, html = fetch_page(f"{base}/to-page", allowed=ONLY_THE_TEST_SERVER)
    assert final == f"{base}/page" and "Harbour tram trial starts" in html


@pytest.mark.parametrize("path", ["/to-other-loopback", "/to-metadata", "/to-ipv6-loopback"])
def test_a_redirect_into_a_private_address_is_refused(site, path):
    base, seen = site
    with pytest.raises(FetchError, match=rf"{base}{path} redirects to .*inside this machine or a private network"):
        fetch_page(base + path, allowed=ONLY_THE_TEST_SERVER)
    assert seen[-1][1] == path  # the first hop was fetched; the redirect's target never was


@pytest.mark.parametrize("path", ["/idna", "/punycode", "/rot13"])
def test_a_charset_that_is_no_text_encoding_is_read_as_utf8(site, path):
    """A server may name any codec Python has; those that do not turn bytes into text are ignored."""
    base, _ = site
    final, html = fetch_page(f"{base}{path}", allowed=ONLY_THE_TEST_SERVER)
    assert final == f"{base}{path}" and "Harbour tram trial starts" in html


def test_size_type_status_redirect_loops_and_schemes_are_refused_with_the_fix(site):
    base, _ = site
    with pytest.raises(FetchError, match="is over 1 MiB; save the article and upload it"):
        fetch_page(f"{base}/big", allowed=ONLY_THE_TEST_SERVER, max_bytes=2**20)
    with pytest.raises(FetchError, match="'application/pdf', not a web page; upload the file instead"):
        fetch_page(f"{base}/pdf", allowed=ONLY_THE_TEST_SERVER)
    with pytest.raises(FetchError, match="answered HTTP 404"):
        fetch_page(f"{base}/nothing-here", allowed=ONLY_THE_TEST_SERVER)
    with pytest.raises(FetchError, match="redirects more than 5 times"):
        fetch_page(f"{base}/loop", allowed=ONLY_THE_TEST_SERVER)
    for url in ("file:///etc/passwd", "ftp://example.org/x", "javascript:alert(1)", "not a url"):
        with pytest.raises(FetchError, match="is not a web address"):
            fetch_page(url)
    with pytest.raises(FetchError, match="carries a user name or password"):
        fetch_page("http://user:secret@example.org/")


def test_the_web_page_adds_a_fetched_page_as_markdown_with_its_address(site, web_indexed):
    base, _ = site
    with web_client(web_indexed) as client:
        client.app.state.web_fetch = functools.partial(fetch_page, allowed=ONLY_THE_TEST_SERVER)
        token = sign_in(client)
        r = client.post("/collection/add", data={"csrf": token, "url": f"{base}/to-page"},
                        headers={"Origin": "http://testserver"}, follow_redirects=False)
        assert r.status_code == 303, text_of(page(r))
        assert wait_for_job(client, r.headers["location"].rsplit("/", 1)[1])["status"] == "succeeded"
        article = client.get("/v1/articles/web/harbour-tram-trial-starts").json()
    assert article["url"] == f"{base}/page" and article["published"].startswith("2026-05-05")
    assert article["title"] == "Harbour tram trial starts" and article["source"] == "Quay Post"
    assert article["text"].startswith("The harbour tram trial started on Monday")
    stored = (web_indexed / "corpus" / "web" / "harbour-tram-trial-starts.md").read_text()
    assert stored.startswith("---\ntitle: Harbour tram trial starts\n") and f"url: {base}/page" in stored


def test_a_page_without_a_date_is_added_only_with_the_date_the_curator_gives(site, web_indexed):
    """The one date rule (corpus/additions.py), as the web form applies it."""
    base, _ = site
    with web_client(web_indexed) as client:
        client.app.state.web_fetch = functools.partial(fetch_page, allowed=ONLY_THE_TEST_SERVER)
        token = sign_in(client)
        form = {"csrf": token, "url": f"{base}/undated"}
        refused = client.post("/collection/add", data=form, headers={"Origin": "http://testserver"},
                              follow_redirects=False)
        r = client.post("/collection/add", data={**form, "date": "2026-04-30"}, headers={"Origin": "http://testserver"},
                        follow_redirects=False)
        assert r.status_code == 303, text_of(page(r))
        assert wait_for_job(client, r.headers["location"].rsplit("/", 1)[1])["status"] == "succeeded"
        article = client.get("/v1/articles/web/harbour-tram-trial-starts").json()
    assert refused.status_code == 422 and "give its date (YYYY-MM-DD)" in text_of(page(refused))
    assert article["published"].startswith("2026-04-30")


@pytest.mark.parametrize("url", ["http://example.org:99999/", "http://[::1/", "http://a..example/"])
def test_the_web_page_answers_a_bad_address_with_the_form_and_the_fix(web_indexed, url):
    with web_client(web_indexed) as client:
        token = sign_in(client)
        r = client.post("/collection/add", data={"csrf": token, "url": url},
                        headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert r.status_code == 422
    assert "not a valid" in text_of(page(r)) and str(web_indexed) not in r.text
