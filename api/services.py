"""The long-lived objects of a running API, built once in the lifespan and reached through
typed dependencies; model and index work runs on their own threads, off the event loop."""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated, TypeVar
from collections.abc import Callable

from fastapi import Depends, Request

from api.jobs import JobRunner
from api.metrics import ApiMetrics
from api.settings import Settings
from corpus.feeds.schedule import start_polling
from index.answer import Answer, Answerer
from index.assemble import open_answerer, query_thread_setup
from index.embed import Embedder, load_embedder
from index.gaps import GapStore, Gaps, record_answer
from index.reader import load_reader
from index.search import Retriever
from index.store.reader import LiveReader
from index.stores import Store, open_store
from index.store import GenerationReader
from index.watch import watch

T = TypeVar("T")
log = logging.getLogger("footnote.api")


@dataclass
class Services:
    settings: Settings
    store: Store  # where generations are built to and served from (index/stores.py)
    live: LiveReader
    embedder: Embedder
    retriever: Retriever
    answerer: Answerer
    executor: ThreadPoolExecutor
    jobs: JobRunner
    metrics: ApiMetrics
    gaps: Gaps  # declined questions, kept and grouped for curators (index/gaps)
    started_at: int = 0  # seconds since the epoch

    @classmethod
    def start(cls, settings: Settings, metrics: ApiMetrics) -> Services:
        """Build everything; nothing here touches the model or the disk yet."""
        embedder = load_embedder(settings.model, threads=1)
        store = open_store(settings.index, settings.store)
        answerer = open_answerer(store, embedder, settings.answer_threshold, reader=load_reader(settings.reader))
        retriever = answerer.retriever
        # OpenMP settings are per thread: FAISS's is set where the searches run (DESIGN.md).
        executor = ThreadPoolExecutor(settings.query_threads, thread_name_prefix="footnote-query",
                                      initializer=query_thread_setup)
        jobs = JobRunner(settings.corpus, settings.index, embedder, metrics, store)
        gaps = Gaps(GapStore.beside(settings.index), answerer, settings.gap_similarity)
        return cls(settings, store, retriever.live, embedder, retriever, answerer, executor, jobs, metrics, gaps,
                   int(time.time()))

    async def run(self, fn: Callable[..., T], *args, **kwargs) -> T:
        """Run blocking work (encode, FAISS, SQLite) on the query threads and await it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))

    async def answered(self, answer: Answer, route: str, keep: bool = True) -> None:
        """Count an answer by `route` (ask, chat, web); keep a declined one as a gap unless the
        caller keeps its own (`keep=False`)."""
        self.metrics.count_answer(answer.abstained, route)
        if answer.abstained and keep:
            await self.run(record_answer, self.gaps.store, answer, "web" if route == "web" else "api")

    def warm_up(self) -> None:
        """Load the model now, so that the first question does not pay for it."""
        self.embedder.encode(["warm up"])

    def start_watching(self, allowed: Callable[[str], bool]) -> None:
        """Re-index a moment after the corpus folder changes (`footnote serve --watch`): each batch of
        changes queues a build job, and one line per update goes to the log. The feeds in feeds.toml
        are polled on their schedule, fetching from the addresses `allowed` accepts."""
        self._stop_watching = threading.Event()

        def update() -> dict:
            job = self.jobs.wait(self.jobs.submit("watch: the corpus folder changed"))
            if job.status != "succeeded":
                raise RuntimeError(job.error or job.status)
            return job.summary

        thread = threading.Thread(target=watch, name="footnote-watch", daemon=True,
                                  args=(self.settings.corpus, update, log.info),
                                  kwargs={"stop": self._stop_watching})
        thread.start()
        # Feeds due a poll save their articles into the corpus folder, where the watch finds them.
        start_polling(self.settings.corpus, allowed, log.info, self._stop_watching)

    def close(self) -> None:
        if getattr(self, "_stop_watching", None) is not None:
            self._stop_watching.set()
        self.jobs.close()
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.gaps.store.close()


async def get_services(request: Request) -> Services:
    # async: FastAPI runs a plain `def` dependency on its thread pool, a thread hop per request
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_generation(services: ServicesDep) -> GenerationReader:
    """The newest complete generation, taken once for the whole request (the live switch)."""
    return await services.run(services.live.current)


GenerationDep = Annotated[GenerationReader, Depends(get_generation)]
