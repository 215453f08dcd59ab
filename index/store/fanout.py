"""Work one question can do at once on a large collection: the BM25 pass beside the question's
encoding and the dense search, and the segments' graph searches side by side.

Below FAN_OUT_FROM chunks it is not worth it: the BM25 pass of full Reuters (25k chunks) takes
~0.15 ms, about what handing it to another thread and back costs. On the million-passage bench
(four 250k-chunk segments) BM25 takes ~3 ms and the four graph searches ~7 ms of a question's
~22 ms, and both wait on nothing but the CPU: FAISS and ONNX Runtime release the GIL, and so do
NumPy's large array operations. Under concurrent requests the cores are busy anyway, and the
hand-off adds little.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import faiss

FAN_OUT_FROM = 200_000  # chunks in a generation

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def worth_it(chunks: int) -> bool:
    """Whether a collection of `chunks` chunks is large enough to fan a question's work out."""
    return chunks >= FAN_OUT_FROM


def pool() -> ThreadPoolExecutor:
    """The process's fan-out threads (one per core), made on first use. Work given to them never
    waits on other work given to them, so they cannot deadlock however many questions share them."""
    global _pool
    with _lock:
        if _pool is None:
            # One OpenMP thread each, as on the query threads (index.assemble.query_thread_setup).
            _pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="footnote-fan-out",
                                       initializer=faiss.omp_set_num_threads, initargs=(1,))
        return _pool
