"""Articles a curator adds from the web page: an uploaded file kept as it is, or a fetched page
kept as Markdown with front matter (so its address and metadata travel with its text). Both
are written through CorpusFolder, the one writer into the corpus folder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import yaml

from corpus.article import ArticleError
from corpus.folder import CorpusFolder, check_id
from corpus.formats import parse_html

FOLDER = "web"  # under the corpus folder, so what was added here stays together
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class NewArticle:
    """An article file on its way into the corpus folder."""

    file_id: str
    suffix: str
    data: bytes


def slugify(text: str, limit: int = 60) -> str:
    return _NOT_SLUG.sub("-", text.lower()).strip("-")[:limit].strip("-") or "article"


def from_upload(filename: str, data: bytes, file_id: str = "") -> NewArticle:
    """An uploaded file, under the id given or `web/<its name>`."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    suffix = PurePosixPath(name).suffix.lower()
    return NewArticle(check_id(file_id or f"{FOLDER}/{slugify(PurePosixPath(name).stem)}"), suffix, data)


def from_page(url: str, html: str, file_id: str = "", date: str = "") -> NewArticle:
    """A fetched page as Markdown with front matter; `date` fills in when the page shows none."""
    try:
        [page] = parse_html("page", "page.html", html)
    except ArticleError as exc:
        raise ArticleError(f"{url}: {exc}") from None
    meta = {"title": page.title if page.title_source == "metadata" else None, "date": page.published or date or None,
            "url": page.url or url, "source": page.source, "author": page.author}
    front = yaml.safe_dump({k: v for k, v in meta.items() if v}, allow_unicode=True, sort_keys=False)
    text = f"---\n{front}---\n\n{page.text}\n"
    return NewArticle(check_id(file_id or f"{FOLDER}/{slugify(page.title)}"), ".md", text.encode("utf-8"))


def write_new(folder: CorpusFolder, new: NewArticle, limit_bytes: int, replace: bool) -> str:
    """Write the article into the corpus folder; an existing id is replaced only when asked."""
    existing = folder.files_of(new.file_id)
    if existing and not replace:
        raise FileExistsError(f"{folder.relative(existing[0])} already holds the article {new.file_id!r}; give "
                              "another id, or tick \"Replace an article with the same id\"")
    path, _, _ = folder.write(new.file_id, new.suffix, new.data, limit_bytes)
    return folder.relative(path)
