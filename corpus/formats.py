"""Parsers for the supported article formats; each turns a file's text into Articles.

Every parser raises ArticleError with a message that names what is wrong and the fix;
the loader adds the file name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable

import frontmatter
import yaml

from corpus.article import Article, ArticleError
from corpus.dates import normalise_date
from corpus.sentences import first_sentence

# `date 2026-02-26` at the very top; the body may follow on the same line or the next.
_DATE_HEADER = re.compile(r"\A\s*date[ \t]*:?[ \t]+(\S+)[ \t]*(?:\r?\n|[ \t]+|\Z)", re.IGNORECASE)
_RECORD_ID = re.compile(r"[^A-Za-z0-9._-]+")


def clean_text(text: str) -> str:
    """Line endings unified and the outer whitespace trimmed; the inside is kept verbatim."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def make_article(article_id: str, path: str, text: str, meta: dict) -> Article:
    """Build an Article from body text and metadata, checking both."""
    text = clean_text(text)
    if not text:
        raise ArticleError("has no article text; add the body below the metadata")
    try:
        published = normalise_date(meta.get("date") or meta.get("published"))
    except ValueError as exc:
        raise ArticleError(str(exc)) from None
    title = _optional_str(meta.get("title"))
    tags = meta.get("tags") or ()
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    return Article(
        id=article_id,
        text=text,
        title=title or first_sentence(text),
        title_source="metadata" if title else "first_sentence",
        published=published,
        url=_optional_str(meta.get("url")),
        source=_optional_str(meta.get("source")),
        author=_optional_str(meta.get("author")),
        tags=tuple(str(t) for t in tags),
        path=path,
    )


def _optional_str(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def parse_text(article_id: str, path: str, raw: str) -> list[Article]:
    """Plain text: an optional `date YYYY-MM-DD` header, then paragraphs; no title line."""
    meta = {}
    match = _DATE_HEADER.match(raw)
    if match:
        meta["date"] = match.group(1)
        raw = raw[match.end():]
    return [make_article(article_id, path, raw, meta)]


def parse_markdown(article_id: str, path: str, raw: str) -> list[Article]:
    """Markdown with optional YAML front matter (title, date, url, source, author, tags)."""
    try:
        post = frontmatter.loads(raw)
    except yaml.YAMLError as exc:
        raise ArticleError(f"front matter is not valid YAML ({_first_line(exc)}); "
                           "fix the block between the `---` lines") from None
    if not isinstance(post.metadata, dict):
        raise ArticleError("front matter is not a mapping; write `key: value` lines")
    if not post.content.strip():
        raise ArticleError("front matter has no body; add the article text below the closing `---`")
    return [make_article(article_id, path, post.content, post.metadata)]


def parse_html(article_id: str, path: str, raw: str) -> list[Article]:
    """An HTML page: main text and metadata extracted with trafilatura."""
    import trafilatura  # imported here: it is slow to import and only HTML needs it

    doc = trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False,
                                      include_tables=False)
    if doc is None or not (doc.text or "").strip():
        raise ArticleError("no article text found in the HTML; put the text in <article> or <p> elements")
    lines = [line.strip() for line in doc.text.split("\n") if line.strip()]
    if doc.title and lines and lines[0] == doc.title.strip():
        lines = lines[1:]  # trafilatura repeats the <h1> headline as the first line
    meta = {"title": doc.title, "date": doc.date, "url": doc.url,
            "source": doc.sitename, "author": doc.author, "tags": doc.tags}
    return [make_article(article_id, path, "\n\n".join(lines), meta)]


def parse_json(article_id: str, path: str, raw: str) -> list[Article]:
    """A JSON object (one article) or a list of objects (many)."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ArticleError(f"is not valid JSON (line {exc.lineno}: {exc.msg}); fix or remove it") from None
    if isinstance(data, dict):
        return [_record_article(article_id, path, data, None)]
    if isinstance(data, list):
        return _records(article_id, path, enumerate(data, 1))
    raise ArticleError("JSON must be an article object or a list of them")


def parse_jsonl(article_id: str, path: str, raw: str) -> list[Article]:
    """JSON Lines: one article object per line."""
    rows = []
    for lineno, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append((lineno, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ArticleError(f"line {lineno} is not valid JSON ({exc.msg}); fix or remove that line") from None
    return _records(article_id, path, rows)


def _records(file_id: str, path: str, rows: Iterable[tuple[int, object]]) -> list[Article]:
    articles = []
    for position, record in rows:
        if not isinstance(record, dict):
            raise ArticleError(f"record {position} is not a JSON object")
        articles.append(_record_article(file_id, path, record, position))
    if not articles:
        raise ArticleError("holds no records; add article objects or remove the file")
    return articles


def _record_article(file_id: str, path: str, record: dict, position: int | None) -> Article:
    where = f"record {position}: " if position is not None else ""
    text = record.get("text") or record.get("body")
    if not isinstance(text, str) or not text.strip():
        raise ArticleError(f"{where}has no `text`; every record needs its article text")
    if position is None:
        article_id = file_id
    else:
        own = _RECORD_ID.sub("-", str(record.get("id") or position)).strip("-") or str(position)
        article_id = f"{file_id}/{own}"
    try:
        return make_article(article_id, path, text, record)
    except ArticleError as exc:
        raise ArticleError(f"{where}{exc}") from None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


PARSERS: dict[str, Callable[[str, str, str], list[Article]]] = {
    ".txt": parse_text,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
    ".json": parse_json,
    ".jsonl": parse_jsonl,
}
