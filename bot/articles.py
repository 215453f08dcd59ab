"""Articles a curator adds from Discord: fetched from a URL or uploaded as a file, checked with
the corpus parsers before anything is written, then written into the corpus atomically."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from corpus.article import Article, ArticleError
from corpus.formats import PARSERS, parse_html, parse_markdown
from corpus.load import MAX_FILE_BYTES, load_file

UPLOAD_FOLDER = "discord"  # under the corpus root, so curators' additions stay together
MAX_FETCH_BYTES = 5 * 1024 * 1024
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Upload:
    """A checked article file: where it goes in the corpus, its text, the articles in it."""

    relpath: str  # relative to the corpus root, e.g. "discord/bridge-repair.md"
    text: str
    articles: tuple[Article, ...]


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
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / relpath
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        try:
            articles = load_file(Path(tmp), path, MAX_FILE_BYTES)
        except ArticleError as exc:
            raise ArticleError(f"`{name}` {exc}") from None
    return Upload(relpath, data.decode("utf-8-sig"), tuple(articles))


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
    return Upload(relpath, text, tuple(articles))


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


def write_upload(corpus_dir: Path, upload: Upload) -> tuple[Path, bool]:
    """Write the file into the corpus atomically; returns (path, whether it replaced one)."""
    target = Path(corpus_dir) / upload.relpath
    clash = [p for p in target.parent.glob(f"{target.stem}.*") if p != target and not p.name.startswith(".")]
    if clash:
        raise ArticleError(f"`{clash[0].relative_to(corpus_dir)}` already has the id `{upload.articles[0].id}`; "
                           "remove it first with /article remove, or rename your file")
    target.parent.mkdir(parents=True, exist_ok=True)
    existed = target.exists()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(upload.text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target, existed


def remove_file(corpus_dir: Path, article_id: str) -> Path:
    """Delete the file whose id is `article_id`; ArticleError when there is none or it holds more."""
    corpus_dir = Path(corpus_dir)
    if ".." in Path(article_id).parts or article_id.startswith("/"):
        raise ArticleError(f"`{article_id}` is not an article id; ids look like `2026/larkspur-line-opens`")
    candidates = [p for p in (corpus_dir / article_id).parent.glob(f"{Path(article_id).name}.*")
                  if p.suffix.lower() in PARSERS]
    if not candidates:
        parent = (corpus_dir / article_id).parent
        if parent.is_file() or any(p.suffix.lower() in (".json", ".jsonl") for p in parent.parent.glob(f"{parent.name}.*")):
            raise ArticleError(f"`{article_id}` is a record inside a collection file; edit that file to remove it")
        raise ArticleError(f"no article `{article_id}` in the corpus; `/search` shows the ids of indexed articles")
    candidates[0].unlink()
    return candidates[0]
