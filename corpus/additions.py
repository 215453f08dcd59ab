"""An article a curator adds by hand, an uploaded file or a fetched web page, made ready for the
corpus folder and checked with the parsers `footnote index` uses, before anything is written.
The web page and the Discord bot both add articles through here, with one rule for each:

- an uploaded file keeps its format and is named after the file (`<folder>/<slug>.<suffix>`);
- a page becomes Markdown with front matter (title, date, url, source, author), named after its
  title, so its address and metadata travel with its text;
- a page's date is the one it states, else the one the curator gives; a page with neither is
  refused, since news without a date cannot be placed in time.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import yaml

from corpus.article import Article, ArticleError
from corpus.folder import UnsupportedFormat, check_id
from corpus.formats import PARSERS, parse_html, parse_markdown
from corpus.load import MAX_FILE_BYTES, decode_text, parse_file_text

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class NewArticle:
    """An article file on its way into the corpus folder, already parsed."""

    file_id: str  # e.g. "discord/bridge-repair": its path in the corpus folder, less the suffix
    suffix: str  # ".md"
    data: bytes
    articles: tuple[Article, ...]

    @property
    def relpath(self) -> str:
        return self.file_id + self.suffix


def is_day(text: str) -> bool:
    """Whether `text` is a calendar day written YYYY-MM-DD."""
    if not _DAY.fullmatch(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:  # 2026-13-45
        return False
    return True


def slug(text: str, limit: int = 60) -> str:
    """A file name from a title: lower-case ASCII words joined by hyphens."""
    return _NOT_SLUG.sub("-", text.lower()).strip("-")[:limit].strip("-") or "article"


def from_upload(filename: str, data: bytes, folder: str, file_id: str = "") -> NewArticle:
    """An uploaded file, under `file_id` or `<folder>/<its name>`; ArticleError (UnsupportedFormat,
    InvalidArticleId for a bad id) names the file and what is wrong with it."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in PARSERS:
        raise UnsupportedFormat(f"`{name}`: `{suffix or '(none)'}` is not an article format; use one of "
                                f"{', '.join(sorted(PARSERS))}")
    if len(data) > MAX_FILE_BYTES:
        raise ArticleError(f"`{name}` is over {MAX_FILE_BYTES // 2**20} MiB; split it into several articles")
    file_id = check_id(file_id or f"{folder}/{slug(PurePosixPath(name).stem)}")
    try:
        articles = parse_file_text(file_id, file_id + suffix, suffix, decode_text(data))
    except ArticleError as exc:
        raise ArticleError(f"`{name}` {exc}") from None
    return NewArticle(file_id, suffix, data, tuple(articles))


def from_page(url: str, html: str, folder: str, file_id: str = "", date: str = "", title: str = "",
              author: str = "", source: str = "") -> NewArticle:
    """A fetched page (its text extracted by trafilatura) as Markdown with front matter, under
    `file_id` or `<folder>/<slug of its title>`; `date` (YYYY-MM-DD), `title` and `author` are
    used when the page states none (a feed's entry gives them), `source` over the page's own."""
    try:
        [page] = parse_html("page", "page.html", html)
    except ArticleError as exc:
        raise ArticleError(f"{url}: {exc}") from None
    date = date.strip()
    if date and not is_day(date):
        raise ArticleError(f"the date {date[:40]!r} is not a day; give it as YYYY-MM-DD, e.g. 2026-03-05")
    published = page.published or date
    if not published:
        raise ArticleError(f"{url}: the page states no publication date Footnote can read; give its date "
                           "(YYYY-MM-DD) with the address")
    title = page.title if page.title_source == "metadata" else title.strip()
    meta = {k: v for k, v in (("title", title), ("date", published), ("url", page.url or url),
                              ("source", source or page.source), ("author", page.author or author)) if v}
    text = f"---\n{yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)}---\n\n{page.text}\n"
    file_id = check_id(file_id or f"{folder}/{slug(title or page.title)}")
    try:
        articles = parse_markdown(file_id, file_id + ".md", text)
    except ArticleError as exc:
        raise ArticleError(f"{url}: {exc}") from None
    return NewArticle(file_id, ".md", text.encode("utf-8"), tuple(articles))
