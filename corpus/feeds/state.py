"""What polling remembers between runs, in `<corpus>/.feeds-state.json` (hidden: the index and
`footnote watch` never read it as an article): per feed its validators (ETag, Last-Modified),
last poll, failures, back-off and problems; per article address the file it was saved to.
Written atomically; one poll at a time holds `<corpus>/.feeds.lock`."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from corpus.disk import fsync_path

STATE_FILE, LOCK_FILE = ".feeds-state.json", ".feeds.lock"
VERSION = 1
MAX_BACKOFF_S = 86400


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


class FeedsState:
    """The state file's contents: `feeds` (address -> its record) and `seen` (normalised article
    address -> {"file", "updated", "feed"})."""

    def __init__(self, path: Path, data: dict | None = None):
        self.path = Path(path)
        data = data or {}
        self.feeds: dict[str, dict] = data.get("feeds", {})
        self.seen: dict[str, dict] = data.get("seen", {})

    @classmethod
    def load(cls, corpus: Path) -> FeedsState:
        path = Path(corpus) / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = None
        except (OSError, ValueError) as exc:
            raise OSError(f"{path} cannot be read ({exc}); delete it to start the feeds' memory afresh (the "
                          "next poll then fetches every entry once more)") from None
        if data is not None and data.get("version") != VERSION:
            raise OSError(f"{path} is version {data.get('version')!r}, not {VERSION}; delete it to start afresh")
        return cls(path, data)

    def feed(self, url: str) -> dict:
        return self.feeds.setdefault(url, {})

    def due(self, url: str, every_s: int, now: dt.datetime) -> bool:
        """Whether a scheduled poll should fetch the feed now: its period has passed since the
        last poll, and it is not backing off after failures."""
        record = self.feeds.get(url, {})
        last = _time(record.get("last_poll"))
        retry = _time(record.get("retry_after"))
        return (last is None or now >= last + dt.timedelta(seconds=every_s)) and (retry is None or now >= retry)

    def failed(self, url: str, error: str, every_s: int, now: dt.datetime) -> None:
        """Record a failed poll and back off: the period, doubled for each failure in a row, a day at most."""
        record = self.feed(url)
        record["failures"] = record.get("failures", 0) + 1
        wait_s = min(every_s * 2 ** (record["failures"] - 1), MAX_BACKOFF_S)
        record.update(last_poll=now.isoformat(), last_error=error,
                      retry_after=(now + dt.timedelta(seconds=wait_s)).isoformat())

    def succeeded(self, url: str, now: dt.datetime, problems: list[str],
                  validators: tuple[str | None, str | None] | None = None) -> None:
        """Record a successful poll; `validators` (ETag, Last-Modified) replace the stored ones when
        given (None, None clears them: the next poll then reads the whole feed again)."""
        record = self.feed(url)
        record.update(last_poll=now.isoformat(), last_success=now.isoformat(), failures=0, last_error=None,
                      retry_after=None, problems=problems[:20])
        if validators is not None:
            record.update(etag=validators[0], last_modified=validators[1])

    def forget(self, url: str) -> None:
        """Drop a removed feed's record. The addresses it saved stay known, so nothing comes twice;
        another feed that carries one of them takes it over (and its updates)."""
        self.feeds.pop(url, None)

    def owner(self, key: str) -> str | None:
        """The feed that keeps the article at this address, while that feed is still polled."""
        feed = self.seen.get(key, {}).get("feed")
        return feed if feed in self.feeds else None

    def overview(self, feeds: list) -> list[dict]:
        """Each feed (corpus.feeds.Feed) with what its polls left: last poll and success, failures,
        back-off, the last error and problems, and how many articles it saved."""
        saved: dict[str, set] = {}
        for known in self.seen.values():
            if known.get("file"):
                saved.setdefault(known.get("feed"), set()).add(known["file"])
        rows = []
        for feed in feeds:
            record = self.feeds.get(feed.url, {})
            rows.append({**feed.as_dict(), "articles": len(saved.get(feed.url, ())),
                         **{key: record.get(key) for key in ("last_poll", "last_success", "retry_after", "last_error")},
                         "failures": record.get("failures", 0), "problems": record.get("problems", [])})
        return rows

    def save(self) -> None:
        tmp = self.path.with_name(f".{self.path.name}.tmp-{secrets.token_hex(4)}")
        try:
            with open(tmp, "x", encoding="utf-8") as handle:
                json.dump({"version": VERSION, "feeds": self.feeds, "seen": self.seen}, handle, indent=1,
                          sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
            fsync_path(self.path.parent)
        finally:
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def polling_lock(corpus: Path) -> Iterator[None]:
    """Held for a whole poll, so that `footnote watch`, the server and a curator's command never
    poll the same feeds at once (the second waits)."""
    with open(Path(corpus) / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def forget_feed(corpus: Path, url: str) -> None:
    """Forget a feed taken out of feeds.toml (its record; its articles stay), between two polls."""
    if not (Path(corpus) / STATE_FILE).exists():
        return
    with polling_lock(corpus):
        state = FeedsState.load(corpus)
        state.forget(url)
        state.save()
