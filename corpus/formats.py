"""Parsers for the supported article formats; each turns a file's text into Articles.

Every parser raises ArticleError with a message that names what is wrong and the fix;
the loader adds the file name.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable

from frontmatter.default_handlers import YAMLHandler

from corpus.article import Article, ArticleError
from corpus.dates import normalise_date
from corpus.metadata import LIMITS, date_field, load_front_matter, record_id, tags_field, text_field
from corpus.sentences import first_sentence

# `date 2026-02-26` at the very top; the body may follow on the same line or the next.
_DATE_HEADER = re.compile(r"\A\s*date[ \t]*:?[ \t]+(\S+)[ \t]*(?:\n|[ \t]+|\Z)", re.IGNORECASE)
_RECORD_ID = re.compile(r"[^A-Za-z0-9._-]+")
_TEXT_FIELDS = ("text", "title", "url", "source", "author")


def unify_line_endings(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def clean_text(text: str) -> str:
    """Line endings unified and the outer whitespace trimmed; the inside is kept verbatim."""
    return unify_line_endings(text).strip()


def make_article(article_id: str, path: str, text: str, meta: dict) -> Article:
    """Build an Article from body text and metadata, checking both."""
    text = clean_text(text)
    if not text:
        raise ArticleError("has no article text; add the body below the metadata")
    if not any(unicodedata.category(ch)[0] in "LNPS" for ch in text):  # letters, numbers, punctuation, symbols
        raise ArticleError("has no visible text (only spaces, zero-width or control characters); "
                           "write the article or delete the file")
    try:
        published = normalise_date(date_field(meta))
    except ValueError as exc:
        raise ArticleError(str(exc)) from None
    title = text_field(meta, "title")
    article = Article(
        id=article_id,
        text=text,
        title=title or first_sentence(text),
        title_source="metadata" if title else "first_sentence",
        published=published,
        url=text_field(meta, "url"),
        source=text_field(meta, "source"),
        author=text_field(meta, "author"),
        tags=tags_field(meta),
        path=path,
    )
    _check_storable(article)
    return article


def _check_storable(article: Article) -> None:
    """Refuse text that cannot be stored and quoted faithfully: an unpaired surrogate (a JSON
    `\\ud800` escape) cannot be written as UTF-8, and a NUL cuts strings short in C tools."""
    named = [(name, getattr(article, name) or "") for name in _TEXT_FIELDS]
    for name, value in named + [("tags", tag) for tag in article.tags]:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ArticleError(f"`{name}` holds an unpaired surrogate (U+{ord(value[exc.start]):04X}) at "
                               f"character {exc.start}; write the character itself or remove the escape") from None
        if "\x00" in value:
            raise ArticleError(f"`{name}` holds a NUL character at character {value.index(chr(0))}; remove it")


def parse_text(article_id: str, path: str, raw: str) -> list[Article]:
    """Plain text: an optional `date YYYY-MM-DD` header, then paragraphs; no title line."""
    raw = unify_line_endings(raw)  # a CR-only file must not hide its header line
    meta = {}
    match = _DATE_HEADER.match(raw)
    if match:
        meta["date"] = match.group(1)
        raw = raw[match.end():]
    return [make_article(article_id, path, raw, meta)]


def parse_markdown(article_id: str, path: str, raw: str) -> list[Article]:
    """Markdown with optional YAML front matter (title, date, url, source, author, tags)."""
    handler = YAMLHandler()
    raw = raw.strip()
    meta, body = {}, raw
    if handler.detect(raw):
        try:
            block, body = handler.split(raw)
        except ValueError:
            raise ArticleError("front matter has no closing `---` line; close the block or remove "
                               "the opening `---`") from None
        meta = load_front_matter(block)
        if not body.strip():
            raise ArticleError("front matter has no body; add the article text below the closing `---`")
    return [make_article(article_id, path, body, meta)]


def load_html_extractor() -> None:
    """Import trafilatura now. Its first import takes a while and holds the interpreter lock in
    its C extensions: a server imports it at start, not in the middle of serving people."""
    import trafilatura  # noqa: F401


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
    return [make_article(article_id, path, "\n\n".join(lines), _page_meta(doc))]


def _page_meta(doc) -> dict:
    """What trafilatura found, cut to the field limits: the page's author did not write it for us,
    so an over-long title or tag list is trimmed rather than refused."""
    meta = {"title": doc.title, "date": doc.date, "url": doc.url, "source": doc.sitename, "author": doc.author}
    meta = {k: v[:LIMITS[k]] if isinstance(v, str) else v for k, v in meta.items()}
    meta["tags"] = [t[:LIMITS["tag"]] for t in (doc.tags or [])[:100] if isinstance(t, str)]
    return meta


def parse_json(article_id: str, path: str, raw: str) -> list[Article]:
    """A JSON object (one article) or a list of objects (many)."""
    data = _json(raw, "is not valid JSON")
    if isinstance(data, dict):
        return [_record_article(article_id, path, data, None)]
    if isinstance(data, list):
        return _records(article_id, path, enumerate(data, 1))
    raise ArticleError("JSON must be an article object or a list of them")


def parse_jsonl(article_id: str, path: str, raw: str) -> list[Article]:
    """JSON Lines: one article object per line."""
    rows = []
    for lineno, line in enumerate(raw.splitlines(), 1):
        if line.strip():
            rows.append((lineno, _json(line, f"line {lineno} is not valid JSON")))
    return _records(article_id, path, rows)


def _json(text: str, what: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArticleError(f"{what} (line {exc.lineno}: {exc.msg}); fix or remove it") from None
    except RecursionError:
        raise ArticleError(f"{what}: it is nested too deeply to read; flatten it") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise ArticleError(f"{what} ({exc}); fix or remove it") from None


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
    try:
        text = record.get("text") or record.get("body")
        if not isinstance(text, str) or not text.strip():
            raise ArticleError("has no `text`; every record needs its article text")
        if position is None:
            article_id = file_id
        else:
            own = record_id(record["id"]) if record.get("id") not in (None, "") else str(position)
            article_id = f"{file_id}/{_RECORD_ID.sub('-', own).strip('-') or position}"
        return make_article(article_id, path, text, record)
    except ArticleError as exc:
        raise ArticleError(f"{where}{exc}") from None


PARSERS: dict[str, Callable[[str, str, str], list[Article]]] = {
    ".txt": parse_text,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
    ".json": parse_json,
    ".jsonl": parse_jsonl,
}
COLLECTION_SUFFIXES = frozenset({".json", ".jsonl"})  # formats that may hold many articles
