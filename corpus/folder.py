"""The one place that writes into the corpus folder: the API's PUT and DELETE and the bot's
`/article add|remove` all come through here, under one set of rules.

- An id is checked once, as a path of plain segments, and never used as a pattern.
- No write or delete goes through a symbolic link, at any level.
- A collection file (a .jsonl, or a .json holding a list) is never replaced or deleted by a
  call about one article, and its records are edited in the file, not one by one.
- The new file is parsed before anything is written, then written atomically: a hidden
  temporary file, fsync, rename, fsync of the folder.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
from pathlib import Path

from corpus.article import Article, ArticleError
from corpus.disk import fsync_path
from corpus.formats import PARSERS
from corpus.load import decode_text, parse_file_text

MAX_ID_CHARS = 300
# A file name's limit is 255 bytes on the usual file systems; the hidden temporary file of an
# atomic write adds 20 (".", the format's suffix, ".tmp-" and 8 hex digits).
MAX_SEGMENT_BYTES = 200
_SEGMENT = re.compile(r"[^\W][\w.\-]*\Z")  # a word character first: no "..", no hidden files


class CorpusWriteError(Exception):
    """A change to the corpus folder was refused; the message names the input and the fix."""


class InvalidArticleId(CorpusWriteError):
    """The id is not a plain path inside the corpus folder, or it leads through a link."""


class UnsupportedFormat(CorpusWriteError):
    pass


class ArticleInCollection(CorpusWriteError):
    """The id is a collection file, or a record of one: edit that file instead."""


class ArticleNotFound(CorpusWriteError):
    pass


class CorpusUnavailable(CorpusWriteError):
    pass


def check_id(article_id: str) -> str:
    """The id itself, or InvalidArticleId naming what is wrong with it."""
    problem = None
    if not article_id or len(article_id) > MAX_ID_CHARS:
        problem = f"must be 1 to {MAX_ID_CHARS} characters long"
    elif article_id.startswith("/") or "\\" in article_id or re.match(r"[A-Za-z]:", article_id):
        problem = "is an absolute path; give the path under the corpus folder, e.g. `2026/my-article`"
    elif any(part in ("..", ".") for part in article_id.split("/")):
        problem = "may not contain `.` or `..` segments; give the path under the corpus folder"
    elif not all(_SEGMENT.match(part) for part in article_id.split("/")):
        problem = ("must be folder/name segments of letters, digits, `.`, `_` or `-`, each starting "
                   "with a letter or digit, e.g. `2026/larkspur-line-opens`")
    elif any(len(part.encode("utf-8")) > MAX_SEGMENT_BYTES for part in article_id.split("/")):
        problem = (f"has a segment over {MAX_SEGMENT_BYTES} bytes (UTF-8), longer than a file name may be; "
                   "shorten it, or split it with `/` into folders")
    if problem:
        raise InvalidArticleId(f"article id {article_id!r} {problem}")
    return article_id


class CorpusFolder:
    """The corpus folder as the API and the bot may change it."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def write(self, file_id: str, suffix: str, data: bytes, limit_bytes: int,
              collection: bool = False) -> tuple[Path, list[Article], list[Path]]:
        """Parse `data` as `<file_id><suffix>` and put it in place atomically.

        `collection=False`: the file must hold exactly the article `file_id`; it replaces that
        article's file in any format. `collection=True` (an upload of a whole file): it may hold
        many records, and replaces only a collection file of the same name. Returns the path
        written, its articles and the other files of the same id, now removed.
        """
        check_id(file_id)
        suffix = suffix.lower()
        if suffix not in PARSERS:
            raise UnsupportedFormat(f"`{suffix or '(none)'}` is not an article format; use one of "
                                    f"{', '.join(sorted(PARSERS))}")
        target = self._path(file_id, suffix)
        articles = self._parse(file_id, target, data, limit_bytes)
        many = [a.id for a in articles] != [file_id]
        if many and not collection:
            raise ArticleError(f"{self.relative(target)} holds {len(articles)} articles "
                               f"({', '.join(a.id for a in articles[:3])}...); this takes one article: "
                               "send one object, or put a collection file in the corpus folder")
        self._refuse_record_of_collection(file_id)
        existing = self.files_of(file_id)
        for path in existing:
            if self.is_collection(path) != many or (many and path != target):
                kind = "a collection file" if self.is_collection(path) else "a single article"
                raise ArticleInCollection(
                    f"{self.relative(path)} is {kind} with the id {file_id!r}; Footnote will not replace it "
                    "with this file: remove it first (or edit it in the corpus folder), or use another name")
        self._put(target, data)
        others = [p for p in existing if p != target]
        for other in others:
            other.unlink(missing_ok=True)
        return target, articles, others

    def delete(self, article_id: str) -> list[Path]:
        """Remove the file that holds exactly this article; never a collection or a record of one."""
        check_id(article_id)
        files = self.files_of(article_id)
        if not files:
            self._refuse_record_of_collection(article_id)
            raise ArticleNotFound(f"no article {article_id!r} in the corpus folder; check the id against "
                                  "the indexed ones (GET /v1/articles, or /search in Discord)")
        for path in files:
            if self.is_collection(path):
                raise ArticleInCollection(
                    f"{self.relative(path)} is a collection file; removing it would remove every record in "
                    "it: edit or remove the file in the corpus folder itself")
        for path in files:
            path.unlink(missing_ok=True)
            fsync_path(path.parent)
        _remove_empty_folders(files[0].parent, self.root)
        return files

    def files_of(self, file_id: str) -> list[Path]:
        """The files named `<file_id>.<format>` (normally one), links refused."""
        return [p for p in (self._path(file_id, s) for s in sorted(PARSERS)) if p.is_file()]

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    @staticmethod
    def is_collection(path: Path) -> bool:
        """A .jsonl file, or a .json file whose top level is a list."""
        if path.suffix.lower() == ".jsonl":
            return True
        if path.suffix.lower() != ".json":
            return False
        with open(path, "rb") as handle:
            head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        return head.startswith(b"[")

    def _path(self, file_id: str, suffix: str) -> Path:
        """`root/<file_id><suffix>`, refused when the file or a folder on the way is a link."""
        if not self.root.is_dir():
            raise CorpusUnavailable(f"the corpus folder {self.root} does not exist; create it or point "
                                    "FOOTNOTE_CORPUS (or --corpus) at the right one")
        target = self.root / f"{file_id}{suffix}"
        step = self.root
        parts = target.relative_to(self.root).parts
        for n, part in enumerate(parts, 1):
            step = step / part
            if step.is_symlink():
                raise InvalidArticleId(
                    f"article id {file_id!r} leads through the symbolic link {self.relative(step)}; Footnote "
                    "never writes or deletes through links: change it in the corpus folder itself")
            if n < len(parts) and step.exists() and not step.is_dir():
                raise InvalidArticleId(
                    f"article id {file_id!r} leads through the file {self.relative(step)}, which cannot hold "
                    "folders; choose another id")
        return target

    def _refuse_record_of_collection(self, article_id: str) -> None:
        file_id, _, record = article_id.rpartition("/")
        if not file_id:
            return
        for path in self.files_of(file_id):
            if self.is_collection(path):
                raise ArticleInCollection(
                    f"article {article_id!r} is a record of the collection file {self.relative(path)}; "
                    "edit that file in the corpus folder instead")

    def _parse(self, file_id: str, target: Path, data: bytes, limit_bytes: int) -> list[Article]:
        rel = self.relative(target)
        if len(data) > limit_bytes:
            raise ArticleError(f"{rel} is {len(data) / 2**20:.1f} MiB, over the {limit_bytes / 2**20:.1f} MiB "
                               "limit for one article; split it")
        try:
            return parse_file_text(file_id, rel, target.suffix.lower(), decode_text(data))
        except ArticleError as exc:
            raise ArticleError(f"{rel} {exc}") from None

    def _put(self, target: Path, data: bytes) -> None:
        made = _missing_parents(target.parent, self.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{secrets.token_hex(4)}")
        try:
            with open(tmp, "xb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
            fsync_path(target.parent)
        except BaseException as exc:
            tmp.unlink(missing_ok=True)
            for folder in made:
                _remove_empty_folders(folder, folder.parent)
            if isinstance(exc, OSError):
                raise CorpusUnavailable(_write_failure(self.relative(target), exc)) from None
            raise


def _write_failure(rel: str, exc: OSError) -> str:
    """What a failed write says: the article's path in the corpus folder (never the server's
    own path) and the fix."""
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        return f"{rel} was not written: the disk holding the corpus folder is full; free space and try again"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return (f"{rel} was not written: the corpus folder is not writable by Footnote "
                f"({os.strerror(exc.errno)}); give its user write access")
    return f"{rel} was not written ({os.strerror(exc.errno) if exc.errno else type(exc).__name__}); try again"


def _missing_parents(folder: Path, root: Path) -> list[Path]:
    """The folders between `root` and `folder` that do not exist yet, deepest first."""
    missing = []
    while folder != root and not folder.exists():
        missing.append(folder)
        folder = folder.parent
    return missing


def _remove_empty_folders(folder: Path, stop: Path) -> None:
    """Remove `folder` and its parents up to (not including) `stop` while they are empty."""
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


