"""A small web on 127.0.0.1 for the tests of adding an article by its address, and a DNS table
to resolve made-up names with: the real guarded fetcher (corpus/fetch.py) runs against them,
allowed to connect to 127.0.0.1 only (`ONLY_THE_TEST_SERVER`)."""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from corpus.fetch import FetchError, fetch_page

ONLY_THE_TEST_SERVER = "127.0.0.1".__eq__
HTML = {"Content-Type": "text/html; charset=utf-8"}


class _Handler(BaseHTTPRequestHandler):
    routes: dict = {}
    seen: list = []

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        self.seen.append((self.headers.get("Host", "").split(":")[0], self.path))
        status, headers, body = self.routes.get(self.path, (404, {"Content-Type": "text/html"}, b"gone"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value.format(port=self.server.server_port))
        self.end_headers()
        try:
            for piece in body if isinstance(body, list) else [body]:
                self.wfile.write(piece)
        except OSError:
            pass  # the fetcher stopped reading (a size cap): nothing to do

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve_site(routes: dict) -> Iterator[tuple[int, list]]:
    """Serve `routes` ({path: (status, headers, body)}; "{port}" in a header becomes the port)
    on 127.0.0.1: yields (the port, the (host, path) pairs asked for)."""
    _Handler.routes = routes
    _Handler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, _Handler.seen
    finally:
        server.shutdown()
        server.server_close()


def table_resolver(table: dict[str, list[str]]):
    """A resolver answering from `table` as DNS would; an IP literal resolves to itself."""
    def resolve(host: str, port: int) -> list[str]:
        host = host.strip("[]")
        if host in table:
            return table[host]
        if host.replace(".", "").replace(":", "").isalnum() and any(c.isdigit() for c in host):
            return [host]
        raise FetchError(f"the host {host!r} could not be resolved; check the address")
    return resolve


def guarded_fetcher(table: dict[str, list[str]]):
    """The guarded fetcher as the tests run it: the DNS table, 127.0.0.1 allowed."""
    return functools.partial(fetch_page, allowed=ONLY_THE_TEST_SERVER, resolve=table_resolver(table))
