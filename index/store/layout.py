"""The index on disk: immutable segments, generations that list them, and a pointer replaced
atomically.

    INDEX_DIR/CURRENT                        the name of the generation being served
    INDEX_DIR/generations/NAME/manifest.json the segments it uses, their tombstones, the model,
                                             the chunking, counts (small: an update writes only this
                                             and its new segment)
    INDEX_DIR/generations/NAME/files.json    each corpus file's size and mtime and the articles it
                                             held, so an unchanged file is not read again
    INDEX_DIR/segments/ID/                   one segment (index/store/segment.py)
    INDEX_DIR/cache/                         embedded vectors by (embedder key, text hash)
    INDEX_DIR/build.lock                     held by the one build that may run at a time

A generation is written under a temporary name, synced, renamed, and only then named in
CURRENT (os.replace), so a reader sees a whole generation or the previous one. Segments are
written the same way before any generation names them.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from corpus.disk import fsync_path
from index.store.errors import IndexCorrupt, IndexMismatch

FORMAT_VERSION = 4  # 4: generations list segments (with tombstones); lexicon in numpy files
POINTER = "CURRENT"
MANIFEST_FILE = "manifest.json"
FILES_FILE = "files.json"
STAMPS_FILE = ".whole.json"  # in the segments folder: each segment file last found whole, by its stat


def generations_dir(index_dir: Path) -> Path:
    return Path(index_dir) / "generations"


def segments_dir(index_dir: Path) -> Path:
    return Path(index_dir) / "segments"


def current_name(index_dir: Path) -> str | None:
    """The generation CURRENT names. Read on every question (that is how a running server
    follows a new build), so with plain os calls: a few microseconds, where pathlib's
    read_text cost a tenth of a millisecond (issue 22)."""
    try:
        fd = os.open(os.path.join(index_dir, POINTER), os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        name = os.read(fd, 4096).decode().strip()
    finally:
        os.close(fd)
    return name or None


def next_name(index_dir: Path) -> str:
    return _next(generations_dir(index_dir), "")


def next_segment_name(index_dir: Path) -> str:
    return _next(segments_dir(index_dir), "s")


def _next(folder: Path, prefix: str) -> str:
    numbers = [int(p.name[len(prefix):]) for p in folder.glob(f"{prefix}[0-9]*") if p.name[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:06d}"


def read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads((path / MANIFEST_FILE).read_text())
        manifest["model"]["name"], manifest["model"]["dimension"]
    except FileNotFoundError:
        raise IndexCorrupt(f"generation {path.name} has no manifest; rebuild with `footnote index --rebuild`") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexCorrupt(f"the manifest of generation {path.name} is unreadable ({exc}); "
                           "rebuild with `footnote index --rebuild`") from None
    return manifest


def read_files(path: Path) -> dict:
    """The corpus files a generation was built from ({} when unknown)."""
    try:
        return json.loads((path / FILES_FILE).read_text())
    except (OSError, ValueError):
        return {}


def refresh_files(path: Path, files: dict) -> None:
    """Replace a published generation's file list (what it remembers of file sizes and times;
    nothing a reader uses) after a run that found the files touched but their articles the same."""
    tmp = path / f".{FILES_FILE}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(files, separators=(",", ":")) + "\n")
    fsync_path(tmp)
    os.replace(tmp, path / FILES_FILE)


def publish(index_dir: Path, name: str, manifest: dict, files: dict) -> Path:
    """Write a generation's manifest and file list, then point CURRENT at it."""
    final = generations_dir(index_dir) / name
    tmp = final.with_name(f".tmp-{name}-{os.getpid()}")
    tmp.mkdir(parents=True)
    (tmp / MANIFEST_FILE).write_text(json.dumps({**manifest, "generation": name}, indent=1) + "\n")
    (tmp / FILES_FILE).write_text(json.dumps(files, separators=(",", ":")) + "\n")
    for child in tmp.iterdir():
        fsync_path(child)
    fsync_path(tmp)
    os.rename(tmp, final)
    fsync_path(final.parent)
    pointer_tmp = Path(index_dir) / f".{POINTER}.tmp-{os.getpid()}"
    pointer_tmp.write_text(name + "\n")
    fsync_path(pointer_tmp)
    os.replace(pointer_tmp, Path(index_dir) / POINTER)
    fsync_path(Path(index_dir))
    return final


def cleanup(index_dir: Path) -> list[str]:
    """Remove unfinished generations and segments, generations that were never published, all
    published ones but the current and the one served before it, and the segments that no kept
    generation uses.

    Call it only while holding the build lock: no other build is between its rename and its
    CURRENT replace then, so a finished generation newer than CURRENT was left by a build
    killed in that gap and no reader has ever seen it. The one served before the current is
    kept so that readers still on it can finish.
    """
    removed = []
    gens, segs = generations_dir(index_dir), segments_dir(index_dir)
    current = current_name(index_dir)
    kept: set[str] = set()
    if gens.is_dir():
        finished = sorted(p.name for p in gens.iterdir() if p.name.isdigit())
        served = [name for name in finished if current is not None and name <= current]
        kept = set(served[-2:])
        for path in gens.iterdir():
            if path.name.startswith(".tmp-") or (path.name.isdigit() and path.name not in kept):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
    used = {spec["id"] for name in kept for spec in _segments_of(gens / name)}
    if segs.is_dir():
        for path in segs.iterdir():
            if path.name not in used and path.name != STAMPS_FILE:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
    for leftover in Path(index_dir).glob(f".{POINTER}.tmp-*"):
        leftover.unlink(missing_ok=True)
    return removed


def _segments_of(path: Path) -> list[dict]:
    try:
        return read_manifest(path).get("segments", [])
    except IndexCorrupt:
        return []


def check_manifest(manifest: dict, index_dir: Path | str, model: str | None) -> None:
    """Refuse a generation built with another model than `model`, or in a format this Footnote
    does not read (IndexMismatch, naming the fix)."""
    built_with = manifest["model"]["name"]
    if model is not None and model != built_with:
        raise IndexMismatch(
            f"the index in {index_dir} was built with model {built_with!r} "
            f"({manifest['model']['dimension']} dimensions), but model {model!r} was asked for; "
            f"rebuild it with `footnote index --model {model}`, or ask with `--model {built_with}`")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(
            f"the index in {index_dir} has format version {manifest.get('format_version')}, "
            f"this Footnote reads version {FORMAT_VERSION}; rebuild it with `footnote index --rebuild`")
