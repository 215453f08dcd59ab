"""Index rebuilds as background jobs: one at a time on their own thread, so queries never
wait for them; a failed build leaves the previous generation serving and says why."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from corpus.chunk import ChunkParams
from index.build import DEFAULT_MAX_TOKENS
from index.embed import Embedder
from index.stores import Store, open_store

log = logging.getLogger("footnote.api")
KEEP_JOBS = 200
JOBS_DIR = "jobs"  # in the index folder, so that every worker process sees every job


@dataclass
class Job:
    id: str
    reason: str  # what asked for it: "rebuild", "PUT 2026/x", ...
    status: str = "queued"  # queued -> running -> succeeded | failed
    created_at: str = field(default_factory=lambda: _now())
    started_at: str | None = None
    finished_at: str | None = None
    duration_s: float | None = None
    summary: dict | None = None  # the same object as `footnote index --json`
    error: str | None = None
    rebuild: bool = False
    progress: dict | None = None  # {"stage", "done", "total"} while running

    def as_dict(self) -> dict:
        return asdict(self)


class JobRunner:
    """Queues index builds and runs them one after another on a single thread."""

    def __init__(self, corpus_dir: Path, index_dir: Path, embedder: Embedder, metrics, store: Store | None = None,
                 params: ChunkParams = ChunkParams(DEFAULT_MAX_TOKENS)):
        self.store = open_store(index_dir) if store is None else store  # where builds go (index/stores.py)
        self.corpus_dir = Path(corpus_dir)
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.metrics = metrics
        self.params = params
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="footnote-build")

    def submit(self, reason: str, rebuild: bool = False) -> Job:
        """Queue a build; a build already queued (not yet started) covers this request too."""
        with self._lock:
            waiting = next((j for j in self._jobs.values() if j.status == "queued" and j.rebuild == rebuild), None)
            if waiting is not None:
                waiting.reason += f"; {reason}"
                return waiting
            job = Job(id=secrets.token_hex(8), reason=reason, rebuild=rebuild)
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_JOBS:
                self._jobs.popitem(last=False)
        self._record(job)
        self._executor.submit(self._run, job)
        return job

    def wait(self, job: Job, timeout_s: float = 3600.0) -> Job:
        """Block until the job has finished (or the timeout passed); returns it."""
        deadline = time.monotonic() + timeout_s
        while job.status in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.05)
        return job

    def get(self, job_id: str) -> Job | None:
        """A job of this process, else one another worker process recorded in the index folder."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is not None or not re.fullmatch(r"[0-9a-f]{16}", job_id):
            return job
        try:
            return Job(**json.loads((self.index_dir / JOBS_DIR / f"{job_id}.json").read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def _record(self, job: Job) -> None:
        """Write the job where every worker process can read it (atomically; the newest kept)."""
        folder = self.index_dir / JOBS_DIR
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{job.id}.tmp"
            tmp.write_text(json.dumps(job.as_dict()))
            os.replace(tmp, folder / f"{job.id}.json")
            for old in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)[:-KEEP_JOBS]:
                old.unlink(missing_ok=True)
        except OSError as exc:  # the job still runs and is known to this process
            log.warning("could not record job %s in %s: %s", job.id, folder, exc)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _run(self, job: Job) -> None:
        with self._lock:
            job.status, job.started_at = "running", _now()
        self._record(job)
        started = time.perf_counter()
        try:
            options = dict(params=self.params, rebuild=job.rebuild, progress=False,
                           on_progress=lambda stage, done, total: self._progress(job, stage, done, total))
            summary = self.store.build(self.corpus_dir, self.embedder, 60.0, **options)
        except Exception as exc:  # any failure is the job's result; the old generation keeps serving
            log.warning("index job %s failed: %s", job.id, exc, exc_info=not isinstance(exc, (OSError, ValueError)))
            self._finish(job, started, error=_reason(exc))
        else:
            self._finish(job, started, summary=summary.as_dict())

    def _progress(self, job: Job, stage: str, done: int, total: int) -> None:
        with self._lock:
            job.progress = {"stage": stage, "done": done, "total": total}
        if done in (0, total):  # stage boundaries reach the other workers; every step reaches this one
            self._record(job)

    def _finish(self, job: Job, started: float, summary: dict | None = None, error: str | None = None) -> None:
        duration = time.perf_counter() - started
        with self._lock:
            job.duration_s = round(duration, 3)
            job.finished_at = _now()
            job.summary, job.error = summary, error
            job.status = "failed" if error else "succeeded"
        self._record(job)
        self.metrics.observe_rebuild(duration, job.status)


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, (OSError, ValueError, RuntimeError)) else f"{type(exc).__name__}: {text}"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
