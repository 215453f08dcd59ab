"""Writing articles into the corpus folder: ids that cannot escape it, files parsed before
they are written, and written atomically (a hidden temporary file, then os.replace)."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from corpus.article import ArticleError
from corpus.formats import PARSERS
from corpus.load import read_text
from api.errors import ApiError

MAX_ID_CHARS = 300
_SEGMENT = re.compile(r"[^\W][\w.\-]*\Z")  # a word character first: no "..", no hidden files


class CorpusFolder:
    """The corpus folder as the API may change it: one article file per id."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def check_id(self, article_id: str) -> str:
        """The id itself, or a 422 naming what is wrong with it (`..`, absolute, odd characters)."""
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
        if problem:
            raise ApiError(422, f"article id {article_id!r} {problem}", "invalid_article_id")
        return article_id

    def path_for(self, article_id: str, suffix: str) -> Path:
        """The file for an id, refused when it (or a folder on the way) links outside the corpus."""
        self.check_id(article_id)
        root = self.existing_root()
        target = root / f"{article_id}{suffix}"
        if not target.resolve().is_relative_to(root.resolve()) or target.is_symlink():
            raise ApiError(422, f"article id {article_id!r} leads through a symbolic link out of the corpus "
                                "folder; Footnote only writes plain files inside it", "invalid_article_id")
        return target

    def existing_root(self) -> Path:
        if not self.root.is_dir():
            raise ApiError(503, f"the corpus folder {self.root} does not exist; create it or point "
                                "FOOTNOTE_CORPUS (or `footnote serve --corpus`) at the right one",
                           "corpus_unavailable")
        return self.root

    def files_of(self, article_id: str) -> list[Path]:
        """The files that hold exactly this article (one per format, normally one)."""
        return [p for p in (self.path_for(article_id, s) for s in sorted(PARSERS)) if p.is_file()]

    def write(self, article_id: str, suffix: str, data: bytes, limit_bytes: int) -> tuple[Path, list[Path]]:
        """Check `data` parses as exactly this one article, then put it in place atomically.

        Returns the file written and the files of the same id in other formats, now removed."""
        suffix = suffix.lower()
        if suffix not in PARSERS:
            raise ApiError(415, f"`{suffix or '(none)'}` is not an article format; upload one of "
                                f"{', '.join(sorted(PARSERS))}", "unsupported_format")
        target = self.path_for(article_id, suffix)
        made = _missing_parents(target.parent, self.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{secrets.token_hex(4)}")
        try:
            with open(tmp, "xb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            self._check_parses(article_id, target, tmp, limit_bytes)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            for folder in made:
                _remove_if_empty(folder)
            raise
        others = [p for p in self.files_of(article_id) if p != target]
        for other in others:
            other.unlink(missing_ok=True)
        return target, others

    def delete(self, article_id: str) -> list[Path]:
        files = self.files_of(article_id)
        for path in files:
            path.unlink(missing_ok=True)
            _remove_if_empty(path.parent, stop=self.root)
        return files

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _check_parses(self, article_id: str, target: Path, tmp: Path, limit_bytes: int) -> None:
        rel = self.relative(target)
        try:
            articles = PARSERS[target.suffix.lower()](article_id, rel, read_text(tmp, limit_bytes))
        except ArticleError as exc:
            raise ArticleError(f"{rel} {exc}") from None
        ids = [a.id for a in articles]
        if ids != [article_id]:
            raise ArticleError(f"{rel} holds {len(ids)} articles ({', '.join(ids[:3])}...); PUT takes one "
                               "article: send one object, or put a collection file in the corpus folder")


def _missing_parents(folder: Path, root: Path) -> list[Path]:
    """The folders between `root` and `folder` that do not exist yet, deepest first."""
    missing = []
    while folder != root and not folder.exists():
        missing.append(folder)
        folder = folder.parent
    return missing


def _remove_if_empty(folder: Path, stop: Path | None = None) -> None:
    while folder != stop:
        try:
            folder.rmdir()
        except OSError:
            return
        if stop is None:
            return
        folder = folder.parent
