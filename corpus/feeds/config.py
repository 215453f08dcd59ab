"""`feeds.toml` in the corpus folder: the feeds a curator polls. Each `[[feed]]` table has

    url = "https://example.org/news/rss.xml"   # an RSS, Atom or news-sitemap address
    source = "Example News"                    # recorded as each article's source; names feeds/<source>/
    every = "1h"                               # how often to poll: 15m, 2h, 1d (default 1h, at least 5m)
    keep = "/news/"                            # optional: keep only links matching this regular expression

Reading it never guesses: a mistake is a FeedsFileError naming the file, the feed and the fix.
Adding and removing go through tomlkit, so a curator's comments and layout survive."""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomlkit

from corpus.additions import slug
from corpus.feeds.state import forget_feed
from corpus.fetch import FetchError, web_address

FEEDS_FILE = "feeds.toml"  # corpus/load.py leaves it out of the articles (NOT_ARTICLES)
DEFAULT_EVERY = "1h"
MIN_EVERY_S = 300
_EVERY = re.compile(r"\s*(\d+)\s*([mhd])\s*\Z")
_UNIT_S = {"m": 60, "h": 3600, "d": 86400}
_FIELDS = ("url", "source", "every", "keep")


class FeedsFileError(ValueError):
    """feeds.toml (or a change to it) is wrong; the message names the file, the feed and the fix."""


@dataclass(frozen=True)
class Feed:
    url: str
    source: str
    every: str = DEFAULT_EVERY
    keep: str = ""

    @property
    def every_s(self) -> int:
        return every_seconds(self.every)

    @property
    def folder(self) -> str:
        """Where its articles go in the corpus folder."""
        return f"feeds/{slug(self.source)}"

    def keeps(self, link: str) -> bool:
        return not self.keep or re.search(self.keep, link) is not None

    def as_dict(self) -> dict:
        return {"url": self.url, "source": self.source, "every": self.every, "keep": self.keep,
                "folder": self.folder}


def every_seconds(every: str) -> int:
    """Seconds in "30m", "2h" or "1d"; ValueError naming the fix otherwise."""
    found = _EVERY.match(str(every))
    if not found:
        raise ValueError(f"`every = {every!r}` is not a period; write minutes, hours or days, e.g. \"30m\", "
                         "\"2h\", \"1d\"")
    seconds = int(found[1]) * _UNIT_S[found[2]]
    if seconds < MIN_EVERY_S:
        raise ValueError(f"`every = {every!r}` polls more often than every {MIN_EVERY_S // 60} minutes, which "
                         "is impolite to the site; give \"5m\" or more")
    return seconds


def feeds_path(corpus: Path) -> Path:
    return Path(corpus) / FEEDS_FILE


def load_feeds(corpus: Path) -> list[Feed]:
    """The feeds listed in `<corpus>/feeds.toml` (none when there is no such file)."""
    path = feeds_path(corpus)
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:  # its message names the line and column
        raise FeedsFileError(f"{path}: {exc}; fix the TOML there (see docs/feeds.md)") from None
    except UnicodeDecodeError:
        raise FeedsFileError(f"{path} is not UTF-8 text; re-save it as UTF-8") from None
    unknown = sorted(set(data) - {"feed"})
    if unknown:
        raise FeedsFileError(f"{path}: unknown table or key {unknown[0]!r}; list feeds as [[feed]] tables")
    tables = data.get("feed", [])
    if not isinstance(tables, list):
        raise FeedsFileError(f"{path}: `feed` must be a list of tables; write each one as [[feed]]")
    feeds: list[Feed] = []
    for n, table in enumerate(tables, 1):
        feed = _feed(table, f"{path}: feed {n}")
        clash = next((f for f in feeds if f.url == feed.url or f.folder == feed.folder), None)
        if clash:
            what = "address" if clash.url == feed.url else f"folder {feed.folder}"
            raise FeedsFileError(f"{path}: feed {n} ({feed.url}) has the same {what} as an earlier feed; "
                                 "remove one of them, or give it another source name")
        feeds.append(feed)
    return feeds


def _feed(table: object, where: str) -> Feed:
    if not isinstance(table, dict):
        raise FeedsFileError(f"{where} is not a table; write it as [[feed]] with url = and source = lines")
    extra = sorted(set(table) - set(_FIELDS))
    if extra:
        raise FeedsFileError(f"{where} has the unknown key {extra[0]!r}; the keys are {', '.join(_FIELDS)}")
    for key in _FIELDS:
        if key in table and not isinstance(table[key], str):
            raise FeedsFileError(f"{where}: `{key}` must be a quoted string, e.g. {key} = \"...\"")
    for key in ("url", "source"):
        if not str(table.get(key, "")).strip():
            raise FeedsFileError(f"{where} has no `{key}`; add {key} = \"...\" (url: the feed's address, "
                                 "source: the name to record on its articles)")
    try:
        return _checked(table["url"], table["source"], table.get("every", DEFAULT_EVERY), table.get("keep", ""))
    except ValueError as exc:
        raise FeedsFileError(f"{where}: {exc}") from None


def check_feed(url: str, source: str, every: str = DEFAULT_EVERY, keep: str = "") -> Feed:
    """A Feed from a curator's input; FeedsFileError naming the fix."""
    try:
        return _checked(url, source, every, keep)
    except ValueError as exc:
        raise FeedsFileError(str(exc)) from None


def _checked(url: str, source: str, every: str, keep: str) -> Feed:
    try:
        url = web_address(url)
    except FetchError as exc:
        raise ValueError(str(exc)) from None
    source = " ".join(source.split())
    if not re.search(r"[a-z0-9]", source.lower()):
        raise ValueError(f"source {source!r} has no letters or digits (a-z, 0-9) to name its folder by; give "
                         "a name such as \"Quay Post\"")
    every_seconds(every)
    if keep:
        try:
            re.compile(keep)
        except re.error as exc:
            raise ValueError(f"`keep = {keep!r}` is not a regular expression ({exc}); e.g. \"/news/\"") from None
    return Feed(url, source, every.strip(), keep)


def add_feed(corpus: Path, feed: Feed) -> list[Feed]:
    """Append `feed` to feeds.toml (made if missing), refused when its address or folder is
    already there; returns the feeds now listed."""
    feeds = load_feeds(corpus)
    clash = next((f for f in feeds if f.url == feed.url or f.folder == feed.folder), None)
    if clash:
        raise FeedsFileError(f"{feed.url} would share {'its address' if clash.url == feed.url else clash.folder} "
                             f"with the feed {clash.url} ({clash.source}); remove that one first, or give "
                             "another source name")
    path = feeds_path(corpus)
    # A blank line before the new [[feed]], as a person would leave one.
    document = tomlkit.parse(path.read_text(encoding="utf-8").rstrip("\n") + "\n\n") if path.is_file() \
        else _new_document()
    table = tomlkit.table()
    for key, value in (("url", feed.url), ("source", feed.source), ("every", feed.every), ("keep", feed.keep)):
        if value:
            table[key] = value
    document.setdefault("feed", tomlkit.aot()).append(table)
    _write(path, tomlkit.dumps(document))
    return load_feeds(corpus)


def remove_feed(corpus: Path, which: str) -> Feed:
    """Take the feed with this address or source name out of feeds.toml; its articles stay."""
    feeds = load_feeds(corpus)
    feed = find_feed(feeds, which)
    path = feeds_path(corpus)
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    tables = document["feed"]
    del tables[feeds.index(feed)]
    if not tables:
        del document["feed"]
    _write(path, tomlkit.dumps(document))
    forget_feed(corpus, feed.url)
    return feed


def find_feed(feeds: list[Feed], which: str) -> Feed:
    """The feed named by its address or source name; FeedsFileError listing the choices."""
    try:
        key = web_address(which)
    except FetchError:
        key = None
    for feed in feeds:
        if feed.url == key or feed.source.lower() == " ".join(which.split()).lower():
            return feed
    known = ", ".join(f.source for f in feeds) or "none yet"
    raise FeedsFileError(f"no feed {which!r} in {FEEDS_FILE}; give its address or source name (feeds: {known})")


def _new_document() -> tomlkit.TOMLDocument:
    document = tomlkit.document()
    document.add(tomlkit.comment("Feeds Footnote polls into feeds/<source>/ (docs/feeds.md). Each [[feed]]: url, "
                                 "source, every (\"1h\"), keep (optional regular expression)."))
    document.add(tomlkit.comment("Edit it freely, or use `footnote feeds add|remove`."))
    return document


def _write(path: Path, text: str) -> None:
    """Replace the file atomically: a reader sees the old list or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
