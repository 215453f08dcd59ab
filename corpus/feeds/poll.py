"""Polling feeds into the corpus folder: each new entry's page fetched, its text extracted and
saved as Markdown under `feeds/<source>/`; the index then picks it up like any other file.

Nothing twice: an address is known by its normalised form across all feeds, and an updated
entry rewrites the file it was saved to (its id stays). Nothing blocks the rest: a feed that
fails is reported and backs off; an entry that fails is reported and retried a few times."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
import yaml

from corpus.additions import from_page
from corpus.article import ArticleError
from corpus.feeds.config import Feed, find_feed, load_feeds
from corpus.feeds.parse import Entry, FeedError, parse_feed
from corpus.feeds.polite import USER_AGENT, PoliteFetcher
from corpus.feeds.state import FeedsState, polling_lock, utc_now
from corpus.feeds.urls import clean_url, normalise_url
from corpus.fetch import TIMEOUT_S, FetchError, Resolver, fetch, is_public, page_text, system_resolver
from corpus.folder import CorpusFolder, CorpusWriteError
from corpus.load import MAX_FILE_BYTES

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
MAX_FEED_BYTES = 8 * 1024 * 1024
MAX_PAGE_BYTES = 5 * 1024 * 1024
MAX_ATTEMPTS = 3  # an entry whose page fails this often is left alone until the feed updates it
GIVEN_UP = f"(tried {MAX_ATTEMPTS} times: not fetched again until the feed updates the entry)"


@dataclass
class FeedReport:
    """One feed's poll: what was saved (paths in the corpus folder) and what went wrong, each
    problem naming the address and the fix."""

    feed: Feed
    status: str = "ok"  # ok, not modified, not due, failed
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: str = ""
    retry_after: str | None = None
    waiting: int = 0  # new entries left for the next poll (more than one poll takes)
    retrying: int = 0  # entries that failed and are tried again next time

    def as_dict(self) -> dict:
        return {"feed": self.feed.url, "source": self.feed.source, "status": self.status, "new": self.new,
                "updated": self.updated, "problems": self.problems, "error": self.error,
                "retry_after": self.retry_after, "waiting": self.waiting}


class Poller:
    """Polls feeds into `corpus` through `fetcher` (the guarded fetcher, made polite)."""

    def __init__(self, corpus: Path, fetcher: PoliteFetcher, max_new: int = 50,
                 max_article_bytes: int = MAX_FILE_BYTES, now: Callable[[], dt.datetime] = utc_now):
        self.corpus = Path(corpus)
        self.folder = CorpusFolder(self.corpus)
        self.fetcher = fetcher
        self.max_new = max_new
        self.max_article_bytes = max_article_bytes
        self.now = now

    @classmethod
    def guarded(cls, corpus: Path, allowed: Callable[[str], bool] = is_public, host_delay_s: float = 1.0,
                resolve: Resolver = system_resolver, timeout_s: float = TIMEOUT_S) -> Poller:
        """A poller fetching through corpus/fetch.py's guards: addresses `allowed` accepts, each
        request within `timeout_s`."""
        one = functools.partial(fetch, allowed=allowed, resolve=resolve, timeout_s=timeout_s, user_agent=USER_AGENT)
        return cls(corpus, PoliteFetcher(one, host_delay_s))

    def poll(self, feeds: list[Feed], due_only: bool = False) -> list[FeedReport]:
        """Poll `feeds` (only those whose time has come, when `due_only`), saving state after each."""
        reports = []
        with polling_lock(self.corpus):
            state = FeedsState.load(self.corpus)
            for feed in feeds:
                reports.append(self._poll(feed, state, due_only))
                state.save()
        return reports

    def _poll(self, feed: Feed, state: FeedsState, due_only: bool) -> FeedReport:
        report, now = FeedReport(feed), self.now()
        if due_only and not state.due(feed.url, feed.every_s, now):
            report.status = "not due"
            return report
        record = state.feed(feed.url)
        conditional = {name: record[key] for name, key in (("If-None-Match", "etag"),
                                                          ("If-Modified-Since", "last_modified")) if record.get(key)}
        try:
            got = self.fetcher.get(feed.url, FEED_ACCEPT, conditional, MAX_FEED_BYTES)
            if got.status == 304:
                state.succeeded(feed.url, now, record.get("problems", []))
                report.status = "not modified"
                return report
            if got.status != 200:
                raise FeedError(f"{feed.url} answered HTTP {got.status}; check the address in feeds.toml "
                                "(a 5xx is the site's trouble: it is tried again later)")
            parsed = parse_feed(got.body, got.url)
        except (FetchError, FeedError) as exc:
            state.failed(feed.url, str(exc), feed.every_s, now)
            report.status, report.error = "failed", str(exc)
            report.retry_after = state.feeds[feed.url]["retry_after"]
            return report
        if parsed.warning:
            report.problems.append(f"{feed.url}: {parsed.warning}; tell the publisher")
        for entry in parsed.entries:
            self._take(entry, feed, state, report)
        # Entries left for later (more than one poll takes, or to be tried again) need the whole
        # feed next time, not a 304: the validators are kept only when every entry was dealt with.
        done = not (report.waiting or report.retrying)
        validators = (got.header("etag"), got.header("last-modified")) if done else (None, None)
        state.succeeded(feed.url, now, report.problems, validators)
        return report

    def _take(self, entry: Entry, feed: Feed, state: FeedsState, report: FeedReport) -> None:
        """Save the entry's page, unless it is known, not kept, or given up on."""
        if not entry.link:
            report.problems.append(f"{feed.url}: the entry {entry.title[:80] or '(untitled)'!r} has no link, so "
                                   "it was skipped; the publisher can add one")
            return
        if not feed.keeps(entry.link):
            return
        key = normalise_url(entry.link)
        known = state.seen.get(key, {})
        if state.owner(key) not in (None, feed.url):
            return  # the same story through another feed: one file per address
        if known:
            known = state.seen[key] = {**known, "feed": feed.url}  # its feed was removed: this one keeps it
        if known.get("file") and known.get("updated") == entry.updated:
            return
        failed = known.get("failed", {})
        if failed.get("updated") == entry.updated and failed.get("attempts", 0) >= MAX_ATTEMPTS:
            report.problems.append(f"{failed['error']} {GIVEN_UP}")  # still reported: it still wants fixing
            return
        if len(report.new) + len(report.updated) >= self.max_new:
            report.waiting += 1
            return
        try:
            saved = self._save(entry, feed, known.get("file_id", ""), state, key)
        except (FetchError, ArticleError, CorpusWriteError) as exc:
            # Kept apart from `updated`: a saved article whose update failed is tried again.
            attempts = failed.get("attempts", 0) + 1 if failed.get("updated") == entry.updated else 1
            message = str(exc) if str(exc).startswith(entry.link) else f"{entry.link}: {exc}"
            state.seen[key] = {**known, "feed": feed.url,
                               "failed": {"updated": entry.updated, "attempts": attempts, "error": message}}
            report.problems.append(message if attempts < MAX_ATTEMPTS else f"{message} {GIVEN_UP}")
            report.retrying += attempts < MAX_ATTEMPTS
            return
        if saved:
            (report.updated if known.get("file") else report.new).append(saved)

    def _save(self, entry: Entry, feed: Feed, file_id: str, state: FeedsState, key: str) -> str:
        """Fetch, extract and write the entry's page; its path in the corpus folder ("" when its
        final address is a story already saved)."""
        got = self.fetcher.get(entry.link, "text/html", None, MAX_PAGE_BYTES)
        final = normalise_url(got.url)
        if final != key and state.seen.get(final, {}).get("file"):
            state.seen[key] = {**state.seen[final], "updated": entry.updated}
            return ""
        html = page_text(got)
        options = dict(date=entry.published, title=entry.title, author=entry.author, source=feed.source)
        try:
            new = from_page(clean_url(entry.link), html, feed.folder, file_id, **options)
        except ArticleError as exc:
            if "no publication date" not in str(exc):
                raise
            raise ArticleError(f"{entry.link}: neither the page nor the feed's entry gives a publication date; ask "
                               "the publisher to add one, or save the article by hand with its date") from None
        if not file_id and self._taken(new.file_id, {key, final}, state):
            new = from_page(clean_url(entry.link), html, feed.folder, f"{new.file_id}-{_short_hash(key)}", **options)
        path, _, _ = self.folder.write(new.file_id, new.suffix, new.data, self.max_article_bytes)
        saved = {"file": self.folder.relative(path), "file_id": new.file_id, "feed": feed.url,
                 "updated": entry.updated}
        state.seen[key] = saved
        if final != key:
            state.seen[final] = saved
        return saved["file"]

    def _taken(self, file_id: str, keys: set[str], state: FeedsState) -> bool:
        """Whether another address holds this id already, in the state or in a file's front matter
        (a file saved from this address before the state was lost is rewritten in place)."""
        if any(v.get("file_id") == file_id for k, v in state.seen.items() if k not in keys):
            return True
        return any(_address_in(path) not in keys for path in self.folder.files_of(file_id))


def _address_in(path: Path) -> str:
    """The normalised `url` of a Markdown file's front matter, or "" when it has none."""
    try:
        return normalise_url(str(frontmatter.load(path).get("url") or "")) if path.suffix == ".md" else ""
    except (OSError, ValueError, yaml.YAMLError):
        return ""


def _short_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def poll_feeds(corpus: Path, allowed: Callable[[str], bool], which: list[str] | tuple[str, ...] = (),
               due_only: bool = False) -> list[FeedReport]:
    """Poll the feeds in the corpus folder's feeds.toml (those named by address or source in
    `which`, else all) through the guarded fetcher: the CLI's, the web page's and the bot's poll."""
    feeds = load_feeds(corpus)
    if which:
        feeds = [find_feed(feeds, name) for name in which]
    return Poller.guarded(corpus, allowed).poll(feeds, due_only=due_only)
