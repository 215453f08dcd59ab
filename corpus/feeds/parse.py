"""A fetched feed's entries: RSS 0.9x/1.0/2.0 and Atom through feedparser, news sitemaps through
defusedxml. The XML is read safely first: a document declaring entities (a "billion laughs"),
a DTD reaching outside, or one that is no feed at all is refused with the reason."""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import ParseError

import defusedxml
import feedparser
from defusedxml.ElementTree import fromstring

from corpus.dates import normalise_date


class FeedError(ValueError):
    """The feed could not be read; the message names the feed and the fix."""


@dataclass(frozen=True)
class Entry:
    link: str  # absolute http(s) address, or "" when the entry has none
    title: str = ""
    published: str = ""  # YYYY-MM-DD from the feed, or ""
    updated: str = ""  # the feed's own update stamp, compared between polls to see a changed article
    author: str = ""


@dataclass(frozen=True)
class ParsedFeed:
    entries: list[Entry]
    warning: str = ""  # e.g. read despite not being well-formed XML


_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def parse_feed(data: bytes, url: str) -> ParsedFeed:
    """The entries of a feed document fetched from `url`; FeedError when it cannot be read safely."""
    if _ENTITY.search(data):
        raise FeedError(f"{url} declares XML entities (the shape of a \"billion laughs\" attack); Footnote never "
                        "expands them: ask the publisher for a plain feed, or remove it")
    try:
        root = fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise FeedError(f"{url} was refused: {exc}; ask the publisher for a plain feed, or remove it") from None
    except ParseError as exc:
        root, malformed = None, str(exc)
    else:
        malformed = ""
    if root is not None and root.tag == f"{_SITEMAP_NS}urlset":
        return ParsedFeed(_sitemap_entries(root, url))
    if root is not None and root.tag == f"{_SITEMAP_NS}sitemapindex":
        raise FeedError(f"{url} is a sitemap index, not a news sitemap; add one of the sitemaps it lists instead")
    # A stream, never bytes or a string: feedparser would fetch a string that looks like an address.
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False)
    if not parsed.entries and (malformed or parsed.bozo or not parsed.version):
        why = malformed or str(parsed.get("bozo_exception", "")) or "no RSS, Atom or sitemap elements"
        raise FeedError(f"{url} is not a feed Footnote can read ({why[:200]}); check the address points at the "
                        "RSS, Atom or news-sitemap document itself")
    entries = [_entry(e, url) for e in parsed.entries]
    warning = f"not well-formed XML ({malformed[:120]}); {len(entries)} entries read anyway" if malformed else ""
    return ParsedFeed(entries, warning)


def _entry(entry: dict, feed_url: str) -> Entry:
    # dict.get: feedparser's own get maps a missing `updated` to `published`, with a warning
    stamp = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    return Entry(link=_link(entry.get("link", ""), feed_url), title=_plain(entry.get("title", "")),
                 published=time.strftime("%Y-%m-%d", stamp) if stamp else "",
                 updated=str(dict.get(entry, "updated") or dict.get(entry, "published") or ""),
                 author=_plain(entry.get("author", "")))


def _sitemap_entries(root, feed_url: str) -> list[Entry]:
    entries = []
    for item in root.iter(f"{_SITEMAP_NS}url"):
        news = item.find(f"{_NEWS_NS}news")
        day = _text(news, f"{_NEWS_NS}publication_date")
        entries.append(Entry(link=_link(_text(item, f"{_SITEMAP_NS}loc"), feed_url),
                             title=_text(news, f"{_NEWS_NS}title"), published=_day(day),
                             updated=_text(item, f"{_SITEMAP_NS}lastmod") or day))
    return entries


def _text(parent, tag: str) -> str:
    found = parent.find(tag) if parent is not None else None
    return (found.text or "").strip() if found is not None else ""


def _day(stamp: str) -> str:
    try:
        return normalise_date(stamp)[:10] if stamp else ""
    except ValueError:
        return ""


def _link(link: str, feed_url: str) -> str:
    if not (link or "").strip():
        return ""
    link = urljoin(feed_url, link.strip())
    return link if urlsplit(link).scheme in ("http", "https") else ""


def _plain(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text or "").split())[:300]
