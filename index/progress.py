"""A build's progress, told per stage to a bar on the terminal and/or a callback; and the lock
that lets one build run at a time."""

from __future__ import annotations

import fcntl
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm

Progress = Callable[[str, int, int], None]


class Report:
    """Progress of a build: a bar on the terminal and/or a callback, per stage."""

    def __init__(self, bar: bool, callback: Progress | None):
        self.bar = bar
        self.callback = callback

    def stage(self, name: str, total: int, unit: str) -> Stage:
        return Stage(self, name, total, unit)


class Stage:
    """One stage of a build (chunking, embedding): its count so far, out of its total."""

    def __init__(self, report: Report, name: str, total: int, unit: str):
        self.report, self.name, self.total, self.done = report, name, total, 0
        self.bar = tqdm(total=total, desc=name, unit=unit, file=sys.stderr,
                        disable=not report.bar or not total)
        self._tell()

    def update(self, n: int) -> None:
        self.done += n
        self.bar.update(n)
        self._tell()

    def close(self) -> None:
        self.bar.close()

    def _tell(self) -> None:
        if self.report.callback is not None and self.total:
            self.report.callback(self.name, self.done, self.total)


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's build lock; a second build waits for the first to finish."""
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(index_dir) / "build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
