"""Reading a corpus folder: every supported file becomes articles, or a reason it did not."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from corpus.article import Article, ArticleError
from corpus.formats import PARSERS

MAX_FILE_BYTES = 10 * 1024 * 1024
# A JSON Lines file holds a whole collection, so it may be much larger.
MAX_COLLECTION_BYTES = 512 * 1024 * 1024
_COLLECTION_SUFFIXES = {".json", ".jsonl"}


@dataclass(frozen=True)
class Skipped:
    """A file that produced no articles, and why (the message says how to fix it)."""

    path: str
    reason: str


@dataclass
class LoadResult:
    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def corpus_files(root: Path) -> list[Path]:
    """Every visible file under `root`, sorted, hidden files and folders left out."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(folder, name) for name in files if not name.startswith("."))
    return sorted(found)


def article_id_for(root: Path, path: Path) -> str:
    """The stable id of a file: its path under the corpus root, without the extension."""
    return path.relative_to(root).with_suffix("").as_posix()


def load_corpus(root: Path, max_file_bytes: int = MAX_FILE_BYTES) -> LoadResult:
    """Parse every file under `root`; a bad file is reported and never blocks the others."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"corpus folder {root} does not exist; pass --corpus DIR or set FOOTNOTE_CORPUS")
    result = LoadResult()
    seen: dict[str, str] = {}
    for path in corpus_files(root):
        rel = path.relative_to(root).as_posix()
        try:
            articles = load_file(root, path, max_file_bytes)
        except ArticleError as exc:
            result.skipped.append(Skipped(rel, str(exc)))
            continue
        clash = _first_clash(articles, seen)
        if clash:
            result.skipped.append(Skipped(
                rel, f"article id `{clash}` is already taken by {seen.get(clash, 'another record in it')}; "
                     "rename one of the two files (or give the record another id)"))
            continue
        for article in articles:
            seen[article.id] = rel
        result.articles.extend(articles)
    return result


def _first_clash(articles: list[Article], seen: dict[str, str]) -> str | None:
    ids = set()
    for article in articles:
        if article.id in seen or article.id in ids:
            return article.id
        ids.add(article.id)
    return None


def load_file(root: Path, path: Path, max_file_bytes: int = MAX_FILE_BYTES) -> list[Article]:
    """Parse one file into articles, or raise ArticleError with the reason and the fix."""
    suffix = path.suffix.lower()
    parser = PARSERS.get(suffix)
    if parser is None:
        known = ", ".join(sorted(PARSERS))
        raise ArticleError(f"unsupported file type `{suffix or '(none)'}`; use one of {known} "
                           "or move the file out of the corpus folder")
    limit = MAX_COLLECTION_BYTES if suffix in _COLLECTION_SUFFIXES else max_file_bytes
    raw = read_text(path, limit)
    return parser(article_id_for(root, path), path.relative_to(root).as_posix(), raw)


def read_text(path: Path, limit_bytes: int) -> str:
    """The file's text as UTF-8; empty, binary, oversized or undecodable files are refused."""
    try:
        size = path.stat().st_size
        if size > limit_bytes:
            raise ArticleError(f"is {size / 2**20:.1f} MiB, over the {limit_bytes / 2**20:.0f} MiB limit "
                               "for one file; split it into several articles")
        data = path.read_bytes()
    except PermissionError:
        raise ArticleError("cannot be read: permission denied; make it readable (chmod a+r)") from None
    except OSError as exc:
        raise ArticleError(f"cannot be read ({exc.strerror}); check the file") from None
    if not data.strip():
        raise ArticleError("is empty; write the article or delete the file")
    if b"\x00" in data[:8192]:
        raise ArticleError("is a binary file, not text; export it as .txt, .md, .html or .json")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                           "re-save it with UTF-8 encoding") from None
