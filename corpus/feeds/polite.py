"""Fetching as a polite reader: robots.txt asked once per host and obeyed, and a pause between
two requests to the same host. Every request still goes through the one guarded fetcher
(corpus/fetch.py), which this wraps."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from corpus.fetch import Fetched, FetchError

USER_AGENT = b"Footnote/0.1 (feed reader for a curated collection; obeys robots.txt)"
ROBOTS_NAME = "Footnote"  # the name a robots.txt addresses us by
MAX_ROBOTS_BYTES = 512 * 1024
ROBOTS_TTL_S = 3600.0  # a long-running watch reads each robots.txt again after this long

Fetch = Callable[..., Fetched]  # corpus.fetch.fetch with its guards bound: (url, accept, headers, max_bytes=)


class RobotsRefusal(FetchError):
    """The site's robots.txt asks readers like Footnote not to fetch this address."""


class PoliteFetcher:
    """`get(url, ...)`: the guarded fetch, after the host's robots.txt allows it and at least
    `host_delay_s` after the previous request to that host."""

    def __init__(self, fetch: Fetch, host_delay_s: float = 1.0, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        self.fetch = fetch
        self.host_delay_s = host_delay_s
        self.sleep = sleep
        self.clock = clock
        self._robots: dict[str, tuple[float, RobotFileParser]] = {}  # site -> (read at, rules)
        self._last: dict[str, float] = {}

    def get(self, url: str, accept: str, headers: Mapping[str, str] | None = None, max_bytes: int = 0) -> Fetched:
        robots = self._robots_for(url)
        if not robots.can_fetch(ROBOTS_NAME, url):
            raise RobotsRefusal(f"{url}: the site's robots.txt disallows it for {ROBOTS_NAME}; remove the feed, "
                                "or ask the site to allow it")
        return self._get(url, accept, headers, max_bytes)

    def _get(self, url: str, accept: str, headers: Mapping[str, str] | None, max_bytes: int) -> Fetched:
        host = urlsplit(url).netloc.lower()
        last = self._last.get(host)
        if last is not None:
            self.sleep(max(0.0, last + self.host_delay_s - self.clock()))
        try:
            return self.fetch(url, accept, headers=headers, **({"max_bytes": max_bytes} if max_bytes else {}))
        finally:
            self._last[host] = self.clock()

    def _robots_for(self, url: str) -> RobotFileParser:
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}".lower()
        read_at, robots = self._robots.get(site, (-ROBOTS_TTL_S, None))
        if robots is None or self.clock() - read_at >= ROBOTS_TTL_S:
            robots = self._read_robots(site)
            self._robots[site] = (self.clock(), robots)
        return robots

    def _read_robots(self, site: str) -> RobotFileParser:
        """A missing robots.txt (4xx) allows everything; one that cannot be read (5xx, no answer)
        allows nothing, for now (RFC 9309)."""
        robots = RobotFileParser(f"{site}/robots.txt")
        try:
            got = self._get(f"{site}/robots.txt", "text/plain", None, MAX_ROBOTS_BYTES)
        except FetchError as exc:
            raise FetchError(f"{site}/robots.txt could not be read, so nothing there is fetched for now: {exc}") \
                from None
        if got.status >= 500:
            raise FetchError(f"{site}/robots.txt answered HTTP {got.status}, so nothing there is fetched for now; "
                             "the feed is tried again later")
        robots.parse(got.body.decode("utf-8", errors="replace").splitlines() if got.status == 200 else [])
        return robots
