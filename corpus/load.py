"""Reading a corpus folder: every supported file becomes articles, or a reason it did not.

Nothing outside the folder is read: links to files outside it are skipped and reported,
links to folders are not followed. A file's parse is one unit: whatever goes wrong inside
it becomes a skipped entry, never a failed build.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from corpus.article import Article, ArticleError
from corpus.formats import COLLECTION_SUFFIXES, PARSERS

log = logging.getLogger("footnote.corpus")
MAX_FILE_BYTES = 10 * 1024 * 1024
# A JSON Lines file holds a whole collection, so it may be much larger.
MAX_COLLECTION_BYTES = 512 * 1024 * 1024
# Files at the top of the corpus folder that configure it rather than hold articles.
NOT_ARTICLES = frozenset({"feeds.toml"})


@dataclass(frozen=True)
class Skipped:
    """A file (or a folder, its path ending in `/`) that produced no articles, and why (the
    message says how to fix it). `keep_previous`: whether the articles it held in the last
    build stay indexed; never for a file that leads out of the corpus."""

    path: str
    reason: str
    keep_previous: bool = True

    def as_dict(self) -> dict:
        return {"path": self.path, "reason": self.reason}


@dataclass
class LoadResult:
    articles: list[Article] = field(default_factory=list)  # from the files that were read
    skipped: list[Skipped] = field(default_factory=list)
    # Files unchanged since they were last read (same size, mtime and inode): not read again,
    # their article ids taken from `known`. rel path -> article ids.
    reused: dict[str, list[str]] = field(default_factory=dict)
    # What to remember for next time: rel path -> {"sig": [size, mtime_ns, inode], "ids": [...]}.
    files: dict[str, dict] = field(default_factory=dict)


def scan_corpus(root: Path) -> tuple[list[Path], list[Skipped]]:
    """Every visible file under `root`, sorted, and the folders and links that were not read."""
    root = Path(root)
    found, skipped = [], []
    try:
        os.scandir(root).close()
    except OSError as exc:
        raise OSError(exc.errno, f"corpus folder {root} cannot be read ({exc.strerror}); make it readable "
                                 "(chmod a+rx) or pass another --corpus") from None

    def unreadable(exc: OSError) -> None:
        rel = _rel(root, Path(exc.filename)) + "/"
        skipped.append(Skipped(rel, "folder cannot be read (permission denied); make it readable "
                                    "with `chmod a+rx`" if isinstance(exc, PermissionError)
                               else f"folder cannot be read ({exc.strerror}); check it"))

    for folder, dirs, files in os.walk(root, onerror=unreadable):
        for name in sorted(d for d in dirs if not d.startswith(".") and os.path.islink(os.path.join(folder, d))):
            skipped.append(Skipped(_rel(root, Path(folder, name)) + "/", (
                "is a link to a folder; Footnote does not follow folder links, so that nothing outside "
                "the corpus is read: move or copy the folder into the corpus folder"), keep_previous=False))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        top = Path(folder) == root
        found.extend(Path(folder, name) for name in files
                     if not name.startswith(".") and not (top and name in NOT_ARTICLES))
    return sorted(found), sorted(skipped, key=lambda s: s.path)


def corpus_files(root: Path) -> list[Path]:
    """Every visible file under `root`, sorted, hidden files and folders left out."""
    return scan_corpus(root)[0]


def article_id_for(root: Path, path: Path) -> str:
    """The stable id of a file: its path under the corpus root, without the extension."""
    return path.relative_to(root).with_suffix("").as_posix()


# Reads and parses files: (root, files under it, size limit) -> for each file, in order, its
# articles or the ArticleError that says why it gave none. `read_files` reads them here;
# index/executor.py's RayExecutor.read_files on a Ray cluster.
Reader = Callable[[Path, list[Path], int], list[list[Article] | ArticleError]]


def load_corpus(root: Path, max_file_bytes: int = MAX_FILE_BYTES, owners: Mapping[str, str] | None = None,
                known: Mapping[str, dict] | None = None, read: Reader | None = None) -> LoadResult:
    """Parse every file under `root`; a bad file is reported and never blocks the others.

    `owners` maps article ids to the file that held them in the last build: when two files
    claim one id, that file keeps it and the newcomer is skipped. `known` is the `files` of an
    earlier result: a file whose signature is unchanged is not read again. `read` reads the
    others (default: `read_files`, in this process).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"corpus folder {root} does not exist; pass --corpus DIR or set FOOTNOTE_CORPUS")
    files, skipped = scan_corpus(root)
    result = LoadResult(skipped=skipped)
    listed = []  # (path, rel, signature, article ids when unchanged, else None)
    for path in files:
        rel, sig = _rel(root, path), signature(path)  # taken before reading: a later edit is seen next time
        before = (known or {}).get(rel)
        unchanged = sig is not None and before is not None and before.get("sig") == sig
        listed.append((path, rel, sig, list(before["ids"]) if unchanged else None))
    todo = [path for path, _, _, ids in listed if ids is None]
    read_back = dict(zip(todo, (read or read_files)(root, todo, max_file_bytes)))
    claims = []  # (rel, signature, article ids, articles or None when reused)
    for path, rel, sig, ids in listed:
        articles = read_back.get(path)
        if isinstance(articles, ArticleError):
            result.skipped.append(Skipped(rel, str(articles), articles.keep_previous))
        else:
            claims.append((rel, sig, ids if articles is None else [a.id for a in articles], articles))
    held_before = set((owners or {}).values())
    claims.sort(key=lambda item: item[0] not in held_before)  # stable: otherwise path order
    seen: dict[str, str] = {}
    for rel, sig, ids, articles in claims:
        clash = _first_clash(ids, seen)
        if clash:
            result.skipped.append(Skipped(rel, _clash_reason(clash, seen, held_before)))
            continue
        seen.update((aid, rel) for aid in ids)
        if articles is None:
            result.reused[rel] = ids
        else:
            result.articles.extend(articles)
        if sig is not None:
            result.files[rel] = {"sig": sig, "ids": ids}
    result.skipped.sort(key=lambda s: s.path)
    return result


def read_files(root: Path, paths: list[Path], max_file_bytes: int = MAX_FILE_BYTES) -> list[list[Article] | ArticleError]:
    """Each file's articles, or the ArticleError that says why it gave none, in the order given."""
    return [read_file(root, path, max_file_bytes) for path in paths]


def read_file(root: Path, path: Path, max_file_bytes: int = MAX_FILE_BYTES) -> list[Article] | ArticleError:
    """`load_file`, with the ArticleError returned rather than raised."""
    try:
        return load_file(root, path, max_file_bytes)
    except ArticleError as exc:
        return exc


def signature(path: Path) -> list[int] | None:
    """What tells a file changed without reading it: size, modification time and inode."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ino]


def _first_clash(ids: list[str], seen: dict[str, str]) -> str | None:
    mine = set()
    for aid in ids:
        if aid in seen or aid in mine:
            return aid
        mine.add(aid)
    return None


def _clash_reason(article_id: str, seen: dict[str, str], held_before: set[str]) -> str:
    owner = seen.get(article_id)
    if owner is None:
        return f"holds article id `{article_id}` twice; give each record its own id"
    since = ", which held it in the last build" if owner in held_before else ""
    return (f"article id `{article_id}` is already taken by {owner}{since}; two files cannot share an id: "
            "rename one of them (or give the record another id)")


def load_file(root: Path, path: Path, max_file_bytes: int = MAX_FILE_BYTES) -> list[Article]:
    """Parse one file into articles, or raise ArticleError with the reason and the fix."""
    suffix = path.suffix.lower()
    if suffix not in PARSERS:
        known = ", ".join(sorted(PARSERS))
        raise ArticleError(f"unsupported file type `{suffix or '(none)'}`; use one of {known} "
                           "or move the file out of the corpus folder")
    limit = MAX_COLLECTION_BYTES if suffix in COLLECTION_SUFFIXES else max_file_bytes
    text = decode_text(read_inside(root, path, limit))
    return parse_file_text(article_id_for(root, path), _rel(root, path), suffix, text)


def parse_file_text(file_id: str, rel: str, suffix: str, text: str) -> list[Article]:
    """Run the parser for `suffix`; anything unexpected inside it becomes an ArticleError here,
    with the traceback in the log, so one odd file never takes down a build, a request or the bot."""
    try:
        return PARSERS[suffix](file_id, rel, text)
    except ArticleError:
        raise
    except RecursionError:
        raise ArticleError("is nested too deeply to read; flatten its structure") from None
    except Exception as exc:  # noqa: BLE001 - the file boundary: report, log, go on
        log.error("reading %s failed unexpectedly", rel, exc_info=exc)
        raise ArticleError(f"could not be read: the {suffix} reader failed ({type(exc).__name__}: "
                           f"{str(exc)[:200]}); check the file's structure (the log has the details)") from None


def read_inside(root: Path, path: Path, limit_bytes: int) -> bytes:
    """The bytes of a regular file whose real path is inside `root`; ArticleError otherwise."""
    real = Path(os.path.realpath(path))
    if not real.is_relative_to(os.path.realpath(root)):
        raise ArticleError("is a link to a file outside the corpus folder; Footnote reads only files "
                           "inside it: copy the file in instead of linking it", keep_previous=False)
    if path.is_symlink() and not real.exists():
        raise ArticleError("is a link to a file that does not exist; remove the link or restore its target")
    return read_bytes(real, limit_bytes)


def read_bytes(path: Path, limit_bytes: int) -> bytes:
    """A regular file's bytes; FIFOs, devices, oversized or unreadable files are refused."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)  # a FIFO must not block the build
    except PermissionError:
        raise ArticleError("cannot be read: permission denied; make it readable (chmod a+r)") from None
    except OSError as exc:
        raise ArticleError(f"cannot be read ({exc.strerror}); check the file") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ArticleError("is not a regular file (a pipe, socket or device); remove it from the corpus folder")
        if info.st_size > limit_bytes:
            raise ArticleError(f"is {info.st_size / 2**20:.1f} MiB, over the {limit_bytes / 2**20:.0f} MiB "
                               "limit for one file; split it into several articles")
        try:
            data = handle.read(limit_bytes + 1)
        except OSError as exc:
            raise ArticleError(f"cannot be read ({exc.strerror}); check the file") from None
    if len(data) > limit_bytes:
        raise ArticleError(f"grew over the {limit_bytes / 2**20:.0f} MiB limit while being read; "
                           "split it into several articles")
    return data


_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def decode_text(data: bytes) -> str:
    """A file's text: UTF-8 (with or without a BOM), or UTF-16/32 with a BOM; else ArticleError."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _non_empty(data.decode(codec))
            except UnicodeDecodeError:
                raise ArticleError(f"starts with a {codec.upper()} byte-order mark but is not valid "
                                   f"{codec.upper()}; re-save it as UTF-8") from None
    if not data.strip():
        raise ArticleError("is empty; write the article or delete the file")
    head = data[:8192]
    if b"\x00" in head:
        if _looks_like_utf16(head):
            raise ArticleError("looks like UTF-16 text without a byte-order mark; re-save it as UTF-8 "
                               "(e.g. `iconv -f UTF-16LE -t UTF-8 FILE`)")
        raise ArticleError("is a binary file, not text; export it as .txt, .md, .html or .json")
    try:
        return _non_empty(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ArticleError(f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                           "re-save it with UTF-8 encoding") from None


def _non_empty(text: str) -> str:
    if not text.strip():
        raise ArticleError("is empty; write the article or delete the file")
    return text


def _looks_like_utf16(head: bytes) -> bool:
    """Mostly-ASCII text in UTF-16: every other byte is zero."""
    even, odd = head[0::2], head[1::2]
    return max(even.count(0), odd.count(0)) > 0.4 * len(head) / 2 and min(even.count(0), odd.count(0)) < 0.05 * len(head) / 2


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
