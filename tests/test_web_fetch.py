"""Adding an article by its web address: the fetcher connects only to addresses its policy
allows, after every redirect too, and stops at a size cap; the page is kept as Markdown with its
address. A real HTTP server on 127.0.0.1 stands in for the web."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from api.web.fetch import FetchError, fetch_page, is_public
from tests.conftest import wait_for_job
from tests.web_helpers import page, sign_in, text_of, web_client

PAGE = b"""<!doctype html><html><head><title>Harbour tram trial starts</title>
<meta property="article:published_time" content="2026-05-05"><meta property="og:site_name" content="Quay Post">
</head><body><article><h1>Harbour tram trial starts</h1>
<p>The harbour tram trial started on Monday with three vehicles running between the quay and the market.</p>
<p>Officials said the trial would last six weeks before a decision on a permanent service.</p>
</article></body></html>"""
ONLY_THE_TEST_SERVER = "127.0.0.1".__eq__


class _Handler(BaseHTTPRequestHandler):
    routes: dict = {}
    seen: list = []

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        self.seen.append(self.path)
        status, headers, body = self.routes.get(self.path, (404, {"Content-Type": "text/html"}, b"gone"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value.format(port=self.server.server_port))
        self.end_headers()
        for piece in body if isinstance(body, list) else [body]:
            self.wfile.write(piece)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[str, list]]:
    """A small web on 127.0.0.1: (its base URL, the paths it was asked for)."""
    html = {"Content-Type": "text/html; charset=utf-8"}
    _Handler.routes = {
        "/page": (200, html, PAGE),
        "/to-page": (302, {"Location": "/page"}, b""),
        "/to-other-loopback": (302, {"Location": "http://127.0.0.2:{port}/page"}, b""),
        "/to-metadata": (301, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/to-ipv6-loopback": (307, {"Location": "http://[::1]:{port}/page"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/big": (200, html, [b"<p>" + b"x" * 65536 + b"</p>"] * 32),
        "/pdf": (200, {"Content-Type": "application/pdf"}, b"%PDF-1.7"),
    }
    _Handler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", _Handler.seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "10.0.0.7", "172.16.3.4", "192.168.1.1",
                                     "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fe80::1%lo",
                                     "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:a00:1::1", "224.0.0.1"])
def test_addresses_inside_a_machine_or_a_private_network_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111"])
def test_public_addresses_are(address):
    assert is_public(address)


def test_the_default_policy_refuses_this_machine_before_connecting(site):
    base, seen = site
    before = len(seen)
    for url in (f"{base}/page", base.replace("127.0.0.1", "localhost") + "/page", "http://[::1]:9/page"):
        with pytest.raises(FetchError, match="inside this machine or a private network"):
            fetch_page(url)
    assert len(seen) == before  # nothing reached the server


def test_a_page_is_fetched_through_an_allowed_redirect(site):
    base, _ = site
    final, html = fetch_page(f"{base}/to-page", allowed=ONLY_THE_TEST_SERVER)
    assert final == f"{base}/page" and "Harbour tram trial starts" in html


@pytest.mark.parametrize("path", ["/to-other-loopback", "/to-metadata", "/to-ipv6-loopback"])
def test_a_redirect_into_a_private_address_is_refused(site, path):
    base, seen = site
    with pytest.raises(FetchError, match="inside this machine or a private network"):
        fetch_page(base + path, allowed=ONLY_THE_TEST_SERVER)
    assert seen[-1] == path  # the first hop was fetched; the redirect's target never was


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
