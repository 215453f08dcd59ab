"""Whether a segment's files are whole: the sizes, sha256 checksums and vector dimension it
recorded when it was written. `looks_whole` answers from a stat per file where it can (a build
deciding whether there is anything to do); `checked` reads a file once per process (opening)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from index.store.layout import STAMPS_FILE

SEGMENT_FILE = "segment.json"


def looks_whole(path: Path, dimension: int | None = None) -> bool:
    """Whether a segment's files are all there with the sizes and checksums it recorded and, with
    `dimension`, its vectors have that many dimensions (a segment of another model's index). A
    file is read in full only when it changed since it was last found whole (`_checksums_hold`),
    so an unchanged index costs a stat per file."""
    try:
        spec = json.loads((path / SEGMENT_FILE).read_text())
        if not all((path / name).stat().st_size == size for name, size in spec["files"].items()):
            return False
        if dimension is not None and sentence_dimension(path, spec) != dimension:
            return False
        return _checksums_hold(path, spec)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return False


def _checksums_hold(path: Path, spec: dict) -> bool:
    """Whether the segment's files match their checksums. A file whose inode, size and
    modification time are those it had when last found whole is not read again; the others
    are, and the stamps of those that hold are kept (beside the segments: losing them only
    costs a read)."""
    stamps = _read_stamps(path.parent)
    found, held = {}, []
    for name, digest in spec.get("sha256", {}).items():
        stamp = _stamp(path / name, digest)
        if stamps.get(f"{path.name}/{name}") != stamp:
            if file_sha256(path / name) != digest:
                return False
            found[f"{path.name}/{name}"] = stamp
        held.append((str(path / name), *stamp))
    _VERIFIED.update(held)  # opening the segment next, in this process, reads none of them again
    if found:
        _keep_stamps(path.parent, stamps, found)
    return True


def record_whole(path: Path, spec: dict) -> None:
    """Stamp the files of a segment its writer has just checksummed (and renamed into place),
    so that the next build's look and the next opening do not read them again."""
    found = {f"{path.name}/{name}": _stamp(path / name, digest) for name, digest in spec.get("sha256", {}).items()}
    _VERIFIED.update((str(path.parent / key), *stamp) for key, stamp in found.items())
    _keep_stamps(path.parent, _read_stamps(path.parent), found)


def _stamp(file: Path, digest: str) -> list:
    """What a file is known by while it is unchanged: its inode, size and modification time,
    with its checksum."""
    st = file.stat()
    return [st.st_ino, st.st_size, st.st_mtime_ns, digest]


def _read_stamps(segments: Path) -> dict:
    try:
        return json.loads((segments / STAMPS_FILE).read_text())
    except (OSError, ValueError):
        return {}


def _keep_stamps(segments: Path, stamps: dict, found: dict) -> None:
    """Write the stamps file: `found` over `stamps`, without the stamps of segments gone."""
    stamps_path = segments / STAMPS_FILE
    kept = {k: v for k, v in stamps.items() if (segments / k.split("/", 1)[0]).is_dir()}
    tmp = stamps_path.with_name(f"{STAMPS_FILE}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps({**kept, **found}))
        os.replace(tmp, stamps_path)
    except OSError:  # a read-only index: the files are simply read again next time
        tmp.unlink(missing_ok=True)


def sentence_dimension(path: Path, spec: dict) -> int:
    """The dimension of a segment's vectors, from its record or its sentence file's header."""
    if "dimension" in spec:
        return int(spec["dimension"])
    return int(np.load(path / spec["vectors"]["sentences"]["file"], mmap_mode="r").shape[1])


# Files found to match their checksums, by (path, inode, size, mtime): segments never change, so
# a generation switch re-opens them without reading them again (a change of the file is a new key).
_VERIFIED: set[tuple] = set()


def checked(path: Path, digest: str) -> bool:
    key = (str(path), *_stamp(path, digest))
    if key in _VERIFIED:
        return True
    if file_sha256(path) != digest:
        return False
    _VERIFIED.add(key)
    return True


def file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
