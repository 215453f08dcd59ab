"""One question at a time through the Python of answering, while the model's calls overlap.

A question's own work after its encoding (BM25, fusion, rerank, quotes, the answer's signals)
is Python holding the GIL, with many short native calls in between (NumPy sorts, FAISS, SQLite)
that let it go. Four query threads answering at once hand the GIL to each other at every one of
those calls: about 43 thread switches a question against 17 when they take turns, and 4 % more
CPU a question (bench/api_load.py at concurrency 8, issue 22). So the query threads take turns
through a lane: a thread holds it for its Python and steps out of it for the calls that run
without the GIL for milliseconds (encoding a question, the answer reader), so that those still
run side by side on the cores. A thread that does not hold the lane steps out of nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Lane:
    def __init__(self):
        self._lock = threading.Lock()
        self._held = threading.local()

    @contextmanager
    def inside(self) -> Iterator[None]:
        """Hold the lane (re-entering it on the same thread holds it still)."""
        if getattr(self._held, "yes", False):
            yield
            return
        with self._lock:
            self._held.yes = True
            try:
                yield
            finally:
                self._held.yes = False

    @contextmanager
    def outside(self) -> Iterator[None]:
        """Step out of the lane, if this thread holds it, for a call that needs no GIL."""
        if not getattr(self._held, "yes", False):
            yield
            return
        self._held.yes = False
        self._lock.release()
        try:
            yield
        finally:
            self._lock.acquire()
            self._held.yes = True
