"""What the bot needs from Footnote, and the in-process implementation of it.

The bot holds a `Footnote` and never knows whether answers come from the index in this
process (`LocalFootnote`) or from a Footnote API over HTTP (`bot.remote.RemoteFootnote`).
Every method returns the API's JSON shapes (plain dicts), so one renderer serves both.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol
from collections.abc import Callable

from bot.building import Builder, Progress, ServiceError
from corpus.additions import NewArticle
from corpus.feeds import add_feed, check_feed, poll_feeds, remove_feed
from corpus.fetch import is_public
from corpus.folder import CorpusFolder
from corpus.load import MAX_FILE_BYTES, article_id_for, corpus_files
from index.answer import Answerer, AskRequest, Turn, check_question, passage_dict
from index.search import Query
from index.status import feeds_status, index_status
from index.stores import Store, open_store

ANSWER_THREADS = 4  # answers and searches at once; more wait their turn (within the answer timeout)

ID_CACHE_S = 30.0  # how long a listing of the corpus folder serves autocomplete
LISTING_WAIT_S = 2.0  # Discord drops an autocomplete answered after 3 s


class Listing:
    """A listing for autocomplete, refreshed in the background: a caller gets the last one at
    once; a stale one starts a refresh; a caller with none yet waits for it at most `wait_s`
    (then gets None, and the refresh goes on for the next keystroke)."""

    def __init__(self, load, max_age_s: float = ID_CACHE_S, wait_s: float = LISTING_WAIT_S):
        self.load = load  # an async callable returning the listing
        self.max_age_s, self.wait_s = max_age_s, wait_s
        self._value, self._at, self._task = None, float("-inf"), None

    async def get(self):
        stale = time.monotonic() - self._at > self.max_age_s
        if stale and (self._task is None or self._task.done()):
            self._task = asyncio.ensure_future(self._refresh())
        if self._value is None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), self.wait_s)
            except (TimeoutError, Exception):  # noqa: BLE001 - a failed or slow listing is no suggestions
                return None
        return self._value

    def forget(self) -> None:
        """The collection changed: the next caller starts a fresh listing."""
        self._at = float("-inf")

    async def _refresh(self) -> None:
        value = await self.load()
        self._value, self._at = value, time.monotonic()

__all__ = ["Footnote", "LocalFootnote", "Progress", "ServiceError", "best_matches"]


class Footnote(Protocol):
    async def ask(self, question: str, history: tuple[Turn, ...] = (), k: int = 5) -> dict:
        """The answer object for a question (see `Answer.as_dict`)."""

    async def search(self, query: str, k: int = 20) -> list[dict]:
        """The top passages for a query, best first (see `passage_dict`)."""

    async def put_article(self, upload: NewArticle) -> list[str]:
        """Add or replace the articles of a checked upload; returns their ids."""

    async def remove_article(self, article_id: str) -> str:
        """Remove an article; returns what was removed, for the curator."""

    async def reindex(self, progress: Progress) -> dict:
        """Bring the index up to date, reporting progress; returns the build summary.
        ServiceError when a re-index is already running."""

    async def find_articles(self, text: str, limit: int = 25) -> list[tuple[str, str | None]]:
        """(id, title) of articles whose id matches `text`, best first (for autocomplete)."""

    async def status(self) -> dict:
        """The generation being served, its model and counts."""

    async def feeds(self) -> list[dict]:
        """The feeds in feeds.toml with their last poll and trouble (corpus/feeds/state.py's overview)."""

    async def add_feed(self, url: str, source: str, every: str, keep: str) -> dict:
        """Add a feed to feeds.toml; returns it. FeedsFileError names the fix."""

    async def remove_feed(self, which: str) -> dict:
        """Take the feed with this address or source name out of feeds.toml; returns it."""

    async def poll_feeds(self) -> list[dict]:
        """Poll every feed now; each feed's report (corpus/feeds/poll.py's FeedReport.as_dict)."""

    async def close(self) -> None:
        """Release what the service holds."""


class LocalFootnote:
    """Footnote in this process: the injected Answerer and the corpus folder; answers in threads,
    builds in a worker process (`bot.building`)."""

    def __init__(self, answerer: Answerer, corpus_dir: Path, index_dir: Path,
                 progress_interval_s: float = 5.0, store: Store | None = None, answer_threads: int = ANSWER_THREADS,
                 fetch_allowed: Callable[[str], bool] = is_public):
        self.answerer = answerer
        self.fetch_allowed = fetch_allowed  # where feeds may be fetched from (corpus/fetch.py)
        # Answers and searches run here, not in the loop's shared pool: an answer that times out
        # is abandoned (nobody waits for it) and can at worst fill this pool, never the threads
        # that autocomplete, /status and the store's callers use.
        self._answers = ThreadPoolExecutor(max_workers=answer_threads, thread_name_prefix="footnote-answer")
        self.corpus_dir = Path(corpus_dir)
        self.index_dir = Path(index_dir)
        # Where builds go and what is served (index/stores.py).
        self.store = open_store(self.index_dir) if store is None else store
        self.builder = Builder(self.corpus_dir, self.index_dir, answerer.retriever.embedder.name,
                               progress_interval_s, self.store.address)
        self._ids = Listing(lambda: asyncio.to_thread(self._removable_ids))

    async def ask(self, question: str, history: tuple[Turn, ...] = (), k: int = 5) -> dict:
        request = AskRequest(question=question, history=history, k=k)
        answer = await asyncio.get_running_loop().run_in_executor(self._answers, self.answerer.answer, request)
        return answer.as_dict()

    async def search(self, query: str, k: int = 20) -> list[dict]:
        return await asyncio.get_running_loop().run_in_executor(self._answers, self._search, query, k)

    def _search(self, text: str, k: int) -> list[dict]:
        text = check_question(text, k)
        retriever = self.answerer.retriever
        return [passage_dict(p) for p in retriever.search(retriever.live.current(), Query(text), k=k)]

    async def put_article(self, upload: NewArticle) -> list[str]:
        folder = CorpusFolder(self.corpus_dir)
        _, articles, _ = await asyncio.to_thread(folder.write, upload.file_id, upload.suffix, upload.data,
                                                 MAX_FILE_BYTES, collection=True)
        self._ids.forget()
        return [a.id for a in articles]

    async def remove_article(self, article_id: str) -> str:
        folder = CorpusFolder(self.corpus_dir)
        removed = await asyncio.to_thread(folder.delete, article_id)
        self._ids.forget()
        return ", ".join(folder.relative(p) for p in removed)

    async def find_articles(self, text: str, limit: int = 25) -> list[tuple[str, str | None]]:
        ids = await self._ids.get() or []
        return await asyncio.to_thread(self._titled, best_matches(ids, text, limit))

    def _removable_ids(self) -> list[str]:
        """Ids `/article remove` can take: one-article files (a .jsonl collection is edited as a file)."""
        if not self.corpus_dir.is_dir():
            return []
        files = [p for p in corpus_files(self.corpus_dir) if p.suffix.lower() != ".jsonl"]
        return sorted({article_id_for(self.corpus_dir, p) for p in files})

    def _titled(self, ids: list[str]) -> list[tuple[str, str | None]]:
        generation = self.answerer.retriever.live.current()
        return [(i, getattr(generation.article(i), "title", None)) for i in ids]

    async def reindex(self, progress: Progress) -> dict:
        return await self.builder.run(progress)

    async def status(self) -> dict:
        return await asyncio.to_thread(self._status)

    def _status(self) -> dict:
        return index_status(self.answerer.retriever.live.current(), self.store.where, self.corpus_dir)

    async def feeds(self) -> list[dict]:
        return (await asyncio.to_thread(feeds_status, self.corpus_dir))["feeds"]

    async def add_feed(self, url: str, source: str, every: str, keep: str) -> dict:
        feed = check_feed(url, source, every, keep)
        await asyncio.to_thread(add_feed, self.corpus_dir, feed)
        return feed.as_dict()

    async def remove_feed(self, which: str) -> dict:
        return (await asyncio.to_thread(remove_feed, self.corpus_dir, which)).as_dict()

    async def poll_feeds(self) -> list[dict]:
        reports = await asyncio.to_thread(poll_feeds, self.corpus_dir, self.fetch_allowed)
        self._ids.forget()
        return [r.as_dict() for r in reports]

    async def close(self) -> None:
        await self.builder.stop()
        self._answers.shutdown(wait=False, cancel_futures=True)


def best_matches(ids: list[str], text: str, limit: int) -> list[str]:
    """Ids containing `text` (any case): those starting with it first, then those with a part
    starting with it, then the rest; alphabetical within each."""
    text = text.strip().lower()

    def rank(article_id: str) -> int:
        lowered = article_id.lower()
        if lowered.startswith(text):
            return 0
        return 1 if any(part.startswith(text) for part in lowered.split("/")) else 2

    return sorted((i for i in ids if text in i.lower()), key=lambda i: (rank(i), i))[:limit]
