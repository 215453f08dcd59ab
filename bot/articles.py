"""Articles a curator adds from Discord: fetched from a URL or uploaded as a file, checked with
the corpus parsers before anything is written, then written into the corpus atomically."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from corpus.article import Article, ArticleError
from corpus.formats import PARSERS, parse_html, parse_markdown
from corpus.load import MAX_FILE_BYTES, decode_text, parse_file_text

UPLOAD_FOLDER = "discord"  # under the corpus root, so curators' additions stay together
MAX_FETCH_BYTES = 5 * 1024 * 1024
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Upload:
    """A checked article file: where it goes in the corpus, its text, the articles in it."""

    relpath: str  # relative to the corpus root, e.g. "discord/bridge-repair.md"
    data: bytes
    articles: tuple[Article, ...]

    @property
    def file_id(self) -> str:
        return self.relpath.rsplit(".", 1)[0]

    @property
    def suffix(self) -> str:
        return "." + self.relpath.rsplit(".", 1)[1]


def slug(text: str, limit: int = 60) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:limit].strip("-") or "article"


def check_file(filename: str, data: bytes, folder: str = UPLOAD_FOLDER) -> Upload:
    """Parse an uploaded file exactly as `footnote index` would; ArticleError says what is wrong."""
    name = Path(filename).name
    suffix = Path(name).suffix.lower()
    if suffix not in PARSERS:
        raise ArticleError(f"`{name}`: unsupported file type `{suffix or '(none)'}`; upload one of "
                           f"{', '.join(sorted(PARSERS))}")
    relpath = f"{folder}/{slug(Path(name).stem)}{suffix}"
    if len(data) > MAX_FILE_BYTES:
        raise ArticleError(f"`{name}` is over {MAX_FILE_BYTES // 2**20} MiB; split it into several articles")
    try:
        articles = parse_file_text(relpath.removesuffix(suffix), relpath, suffix, decode_text(data))
    except ArticleError as exc:
        raise ArticleError(f"`{name}` {exc}") from None
    return Upload(relpath, data, tuple(articles))


def page_to_upload(url: str, html: str, folder: str = UPLOAD_FOLDER) -> Upload:
    """An article from a fetched page (trafilatura), kept as Markdown with front matter so the
    URL and the extracted metadata travel with it."""
    try:
        [page] = parse_html("page", "page.html", html)
    except ArticleError as exc:
        raise ArticleError(f"{url}: {exc}") from None
    if not page.published:
        raise ArticleError(f"{url}: the page has no publication date Footnote can read; save it, add "
                           "`date: YYYY-MM-DD` front matter and upload the file instead")
    meta = {k: v for k, v in (("title", page.title if page.title_source == "metadata" else None),
                              ("date", page.published), ("url", page.url or url), ("source", page.source),
                              ("author", page.author)) if v}
    text = f"---\n{yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)}---\n\n{page.text}\n"
    relpath = f"{folder}/{slug(page.title)}.md"
    articles = parse_markdown(relpath.removesuffix(".md"), relpath, text)
    return Upload(relpath, text.encode("utf-8"), tuple(articles))


async def fetch_page(client: httpx.AsyncClient, url: str) -> str:
    """The HTML at `url`; ArticleError names the URL and what went wrong."""
    if not re.match(r"https?://", url):
        raise ArticleError(f"`{url}` is not a web address; give one starting with https://")
    try:
        response = await client.get(url, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise ArticleError(f"{url} could not be fetched ({type(exc).__name__}); check the address") from None
    if response.status_code >= 400:
        raise ArticleError(f"{url} answered HTTP {response.status_code}; check the address or upload the page")
    if len(response.content) > MAX_FETCH_BYTES:
        raise ArticleError(f"{url} is over {MAX_FETCH_BYTES // 2**20} MiB; save the article and upload it")
    kind = response.headers.get("content-type", "text/html")
    if "html" not in kind:
        raise ArticleError(f"{url} is `{kind}`, not a web page; upload the file instead")
    return response.text
