"""What the bot needs from Footnote, and the in-process implementation of it.

The bot holds a `Footnote` and never knows whether answers come from the index in this
process (`LocalFootnote`) or from a Footnote API over HTTP (`bot.remote.RemoteFootnote`).
Every method returns the API's JSON shapes (plain dicts), so one renderer serves both.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from bot.articles import Upload
from corpus.folder import CorpusFolder
from corpus.load import MAX_FILE_BYTES
from index.answer import Answerer, AskRequest, Turn, check_question, passage_dict
from index.build import build_index
from index.search import Query

Progress = Callable[[str], Awaitable[None]]


class ServiceError(RuntimeError):
    """The service refused or failed a request; the message is meant for the person asking."""


class Footnote(Protocol):
    async def ask(self, question: str, history: tuple[Turn, ...] = (), k: int = 5) -> dict:
        """The answer object for a question (see `Answer.as_dict`)."""

    async def search(self, query: str, k: int = 20) -> list[dict]:
        """The top passages for a query, best first (see `passage_dict`)."""

    async def put_article(self, upload: Upload) -> list[str]:
        """Add or replace the articles of a checked upload; returns their ids."""

    async def remove_article(self, article_id: str) -> str:
        """Remove an article; returns what was removed, for the curator."""

    async def reindex(self, progress: Progress) -> dict:
        """Bring the index up to date, reporting progress; returns the build summary."""

    async def status(self) -> dict:
        """The generation being served, its model and counts."""

    async def close(self) -> None:
        """Release what the service holds."""


class LocalFootnote:
    """Footnote in this process: the injected Answerer, the corpus folder, model work in threads."""

    def __init__(self, answerer: Answerer, corpus_dir: Path, index_dir: Path,
                 progress_interval_s: float = 5.0):
        self.answerer = answerer
        self.corpus_dir = Path(corpus_dir)
        self.index_dir = Path(index_dir)
        self.progress_interval_s = progress_interval_s
        self._building = asyncio.Lock()

    async def ask(self, question: str, history: tuple[Turn, ...] = (), k: int = 5) -> dict:
        request = AskRequest(question=question, history=history, k=k)
        answer = await asyncio.to_thread(self.answerer.answer, request)
        return answer.as_dict()

    async def search(self, query: str, k: int = 20) -> list[dict]:
        return await asyncio.to_thread(self._search, query, k)

    def _search(self, text: str, k: int) -> list[dict]:
        text = check_question(text, k)
        retriever = self.answerer.retriever
        return [passage_dict(p) for p in retriever.search(retriever.live.current(), Query(text), k=k)]

    async def put_article(self, upload: Upload) -> list[str]:
        folder = CorpusFolder(self.corpus_dir)
        _, articles, _ = await asyncio.to_thread(folder.write, upload.file_id, upload.suffix, upload.data,
                                                 MAX_FILE_BYTES, collection=True)
        return [a.id for a in articles]

    async def remove_article(self, article_id: str) -> str:
        folder = CorpusFolder(self.corpus_dir)
        removed = await asyncio.to_thread(folder.delete, article_id)
        return ", ".join(folder.relative(p) for p in removed)

    async def reindex(self, progress: Progress) -> dict:
        if self._building.locked():
            raise ServiceError("a re-index is already running; wait for its summary")
        async with self._building:
            embedder = self.answerer.retriever.embedder
            latest: dict[str, tuple[int, int]] = {}  # stage -> (done, total), written by the build thread

            def note(stage: str, done: int, total: int) -> None:
                latest[stage] = (done, total)

            build = asyncio.create_task(asyncio.to_thread(
                build_index, self.corpus_dir, self.index_dir, embedder, progress=False, on_progress=note))
            started = asyncio.get_running_loop().time()
            while not build.done():
                await asyncio.wait({build}, timeout=self.progress_interval_s)
                if not build.done():
                    elapsed = asyncio.get_running_loop().time() - started
                    steps = ", ".join(f"{stage} {done}/{total}" for stage, (done, total) in latest.items())
                    await progress(f"Re-indexing `{self.corpus_dir.name}`… {elapsed:.0f} s so far"
                                   + (f" ({steps})" if steps else " (reading the articles)"))
            return build.result().as_dict()

    async def status(self) -> dict:
        return await asyncio.to_thread(self._status)

    def _status(self) -> dict:
        generation = self.answerer.retriever.live.current()
        manifest = generation.manifest
        return {"generation": generation.name, "model": manifest["model"],
                "articles": generation.article_count(), "chunks": generation.chunk_count(),
                "built_at": manifest.get("built_at"), "index": str(self.index_dir),
                "checked_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}

    async def close(self) -> None:
        return None
