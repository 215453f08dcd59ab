"""Rows of a saved NumPy array read on demand with `pread`, for arrays a question reads a small
part of (sentence vectors, MinHash signatures, the posting lists of its terms, its sentences'
terms): what was read lands in the page cache but is never mapped into the process.

Why not memory-map them: a mapped file counts in the process's RSS for every page a read
touches, and the kernel maps up to 64 KB of cached neighbours around each page that faults
("fault-around"; MADV_RANDOM does not turn it off). On the million-passage bench, reading ~100
scattered sentence vectors a question left 73-296 MB of each 576 MB sentence file in the
server's RSS after 200 questions. `pread` reads the rows asked for: one call per stretch of
nearby rows (a passage's sentences are consecutive, a term's postings one run), a few
microseconds each.

A small file is read whole when opened instead (up to `WHOLE_BYTES`): a question reads ~80
stretches of rows, and at a few microseconds a call that was a tenth of a question's own work
on a 2,000-article collection, for files of a few megabytes (issue 22). Its rows are then
indexed in memory; the RSS it costs is bounded by the threshold, once per file.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np


class RowFile:
    """A read-only 1-d or 2-d .npy file whose rows (or elements) are read when indexed
    (`rows[ids]`, `rows[a:b]`)."""

    GAP_BYTES = 4096  # rows this close are read together: one page more costs less than a call
    WHOLE_BYTES = 64 << 20  # a file holding at most this much is read whole when opened

    def __init__(self, path: Path, whole: bool = True):
        """`whole`: read the file whole when it is small enough (a small segment's files are;
        a large one's are read by rows, whatever their size)."""
        self.path = Path(path)
        with open(self.path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(handle)
            self._offset = handle.tell()
        if (fortran and len(shape) > 1) or len(shape) not in (1, 2) or dtype.hasobject:
            raise ValueError(f"{self.path} does not hold a 1-d or 2-d array of plain numbers in C order; rebuild "
                             "the index with `footnote index --rebuild`")
        self.shape = shape
        self.dtype = dtype
        self._width = shape[1] if len(shape) == 2 else 1
        self._row_bytes = self._width * dtype.itemsize
        expected = self._offset + shape[0] * self._row_bytes
        if os.path.getsize(self.path) < expected:
            raise ValueError(f"{self.path} is shorter than the {shape[0]} rows its header announces (truncated); "
                             "rebuild the index with `footnote index --rebuild`")
        self._fd = os.open(self.path, os.O_RDONLY)
        self._lock = threading.Lock()  # only around closing: pread itself has no shared position
        self._whole = None
        if whole and shape[0] * self._row_bytes <= self.WHOLE_BYTES:
            self._whole = self._run(0, shape[0])
            self._whole.flags.writeable = False
            self.close()

    @property
    def in_memory(self) -> bool:
        """Whether the file was read whole when opened."""
        return self._whole is not None

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, ids) -> np.ndarray:
        """The rows of `ids` (an int, a slice or an array of row numbers), in the order given."""
        if self._whole is not None:
            return self._indexed(ids)
        if isinstance(ids, slice):
            start, stop, step = ids.indices(len(self))
            if step == 1:  # one run: a posting list, a passage's sentences
                return self._run(start, max(0, stop - start))
            ids = np.arange(start, stop, step)
        single = np.isscalar(ids)
        ids = np.atleast_1d(np.asarray(ids, dtype=np.int64))
        if len(ids) and (ids.min() < -len(self) or ids.max() >= len(self)):
            raise IndexError(f"rows {ids[(ids < -len(self)) | (ids >= len(self))][:5].tolist()} are outside "
                             f"0..{len(self) - 1} of {self.path}")
        ids = np.where(ids < 0, ids + len(self), ids)
        if not len(ids):
            return np.empty((0, *self.shape[1:]), dtype=self.dtype)
        if len(ids) == 1 or (ids[-1] - ids[0] == len(ids) - 1 and (np.diff(ids) == 1).all()):
            rows = self._run(int(ids[0]), len(ids))  # one run in order: a slice, a posting list
            return rows[0] if single else rows
        wanted, back = np.unique(ids, return_inverse=True)
        out = np.empty((len(wanted), *self.shape[1:]), dtype=self.dtype)
        # Rows close together are read in one call, the few rows between them with them: a
        # question's sentences sit in a handful of such stretches (a read is a syscall, a
        # skipped row a few hundred bytes).
        near = max(1, self.GAP_BYTES // self._row_bytes)
        breaks = np.flatnonzero(np.diff(wanted) > near) + 1
        starts = np.concatenate([[0], breaks]).astype(np.int64)
        ends = np.concatenate([breaks, [len(wanted)]]).astype(np.int64)
        for start, end in zip(starts.tolist(), ends.tolist()):
            first = int(wanted[start])
            block = self._run(first, int(wanted[end - 1]) - first + 1)
            out[start:end] = block[wanted[start:end] - first]
        rows = out[back.reshape(-1)]
        return rows[0] if single else rows

    def _indexed(self, ids) -> np.ndarray:
        """Rows of a file held in memory, with the same refusal of rows outside it."""
        try:
            return self._whole[ids]
        except IndexError:
            ids = np.atleast_1d(np.asarray(ids, dtype=np.int64))
            raise IndexError(f"rows {ids[(ids < -len(self)) | (ids >= len(self))][:5].tolist()} are outside "
                             f"0..{len(self) - 1} of {self.path}") from None

    def _run(self, first: int, count: int) -> np.ndarray:
        """`count` consecutive rows from row `first`, in one read."""
        size = count * self._row_bytes
        data = os.pread(self._fd, size, self._offset + first * self._row_bytes)
        if len(data) != size:
            raise OSError(f"{self.path} ended early: read {len(data)} of {size} bytes at row {first}")
        return np.frombuffer(data, dtype=self.dtype).reshape(count, *self.shape[1:])

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self[slice(None)]
        return whole if dtype is None else whole.astype(dtype)

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
