"""Articles a curator adds from Discord: a fetched page or an uploaded file, checked with the
corpus parsers before anything is written (the service then writes it through the corpus folder)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from corpus.article import Article, ArticleError
from corpus.formats import PARSERS, parse_html, parse_markdown
from corpus.load import MAX_FILE_BYTES, decode_text, parse_file_text

UPLOAD_FOLDER = "discord"  # under the corpus root, so curators' additions stay together
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
