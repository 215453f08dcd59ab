"""A small news site on 127.0.0.1 for the feed tests: feeds and pages at paths, each route a
(status, headers, body) triple or a function of the request's headers returning one. A body is
bytes, or an iterable of bytes sent piece by piece (so a test can stream a large or endless one
without holding it)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    routes: dict = {}
    seen: list = []

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        self.seen.append((self.path, dict(self.headers)))
        route = self.routes.get(self.path) or self.routes.get(self.path.split("?")[0], (404, HTML, b"not here"))
        status, headers, body = route(self.headers) if callable(route) else route
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value.format(port=self.server.server_port))
        self.end_headers()
        try:
            for piece in [body] if isinstance(body, bytes) else body:
                self.wfile.write(piece)
                self.wfile.flush()
        except OSError:
            pass  # the fetcher stopped reading (a size cap or a deadline)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve_feeds(routes: dict, host: str = "127.0.0.1") -> Iterator[tuple[str, list]]:
    """Serve `routes` on `host` (a loopback address): yields (the base address, the (path, request
    headers) asked for). The routes dict may be changed while it serves."""
    handler = type("Handler", (_Handler,), {"routes": routes, "seen": []})
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}", handler.seen
    finally:
        server.shutdown()
        server.server_close()


def rss(*items: tuple[str, str, str], title: str = "Quay Post") -> bytes:
    """An RSS 2.0 document of (title, link, RFC 822 date or "") items."""
    body = "".join(f"<item><title>{t}</title>{f'<link>{link}</link>' if link else ''}"
                   f"{f'<pubDate>{date}</pubDate>' if date else ''}</item>" for t, link, date in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>http://example.org/</link><description>news</description>{body}</channel></rss>").encode()


def page(title: str, *paragraphs: str, date: str = "") -> bytes:
    """A news page trafilatura extracts: a title, an optional published date, paragraphs."""
    meta = f'<meta property="article:published_time" content="{date}">' if date else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!doctype html><html><head><title>{title}</title>{meta}</head><body><article><h1>{title}</h1>"
            f"{body}</article></body></html>").encode()
