"""Footnote over HTTP: the same interface as `LocalFootnote`, talking to a running `footnote serve`.

Several bots can share one index server this way. The bot never imports `api`; it only
speaks the API's JSON.
"""

from __future__ import annotations

import asyncio
import logging

import httpx

from corpus.additions import NewArticle
from bot.footnote import Listing, Progress, ServiceError, best_matches
from index.answer import Turn
from index.gaps import KEPT_BY_CALLER

log = logging.getLogger("footnote.bot")
FEEDS_ON_THE_SERVER = ("this bot answers from a Footnote server, and feeds are kept beside its corpus folder: manage "
                       "them on the server's web page (Collection, Feeds) or with `footnote feeds` there")
# A job's status (api/schemas.py JobOut): queued, running, succeeded or failed.
RUNNING = {"queued", "running"}
LIST_PAGE, LIST_PAGES = 500, 20  # autocomplete looks through at most 10,000 article ids


class RemoteFootnote:
    """A client of the Footnote API (`/v1`), with its key in the X-API-Key header."""

    def __init__(self, client: httpx.AsyncClient, poll_interval_s: float = 2.0):
        self.client = client
        self.poll_interval_s = poll_interval_s
        self._titles = Listing(self._list_titles)

    @classmethod
    def connect(cls, url: str, api_key: str | None, timeout_s: float = 60.0) -> RemoteFootnote:
        headers = {"X-API-Key": api_key} if api_key else {}
        return cls(httpx.AsyncClient(base_url=url.rstrip("/"), headers=headers, timeout=timeout_s))

    async def _call(self, method: str, path: str, **kwargs) -> dict | list:
        try:
            response = await self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:  # where the API lives is the operator's business: logged, not shown
            log.warning("the Footnote API at %s could not be reached (%s: %s); is `footnote serve` running?",
                        self.client.base_url, type(exc).__name__, exc)
            raise ServiceError("the Footnote service could not be reached; an admin will find why in the "
                               "bot's log") from None
        if response.status_code >= 500:  # the server's trouble, perhaps naming its paths: logged, not shown
            log.warning("the Footnote API answered %s to %s %s: %s", response.status_code, method, path,
                        error_message(response))
            raise ServiceError(f"the Footnote service could not do that just now ({response.status_code}); "
                               "try again later, or tell an admin (the bot's log says why)")
        if response.status_code >= 400:  # about what was asked: the API's message says what to change
            raise ServiceError(f"the Footnote API answered {response.status_code}: {error_message(response)}")
        return response.json() if response.content else {}

    async def ask(self, question: str, history: tuple[Turn, ...] = (), k: int = 5) -> dict:
        body = {"question": question, "k": k,
                "history": [{"question": t.question, "article_ids": list(t.article_ids)} for t in history]}
        return await self._call("POST", "/v1/ask", json=body, headers=dict([KEPT_BY_CALLER]))  # the bot keeps its own

    async def search(self, query: str, k: int = 20) -> list[dict]:
        return (await self._call("GET", "/v1/search", params={"q": query, "k": k}))["passages"]

    async def put_article(self, upload: NewArticle) -> list[str]:
        # The file itself, as a multipart upload: the API parses it exactly as the corpus would,
        # writes it, and queues an incremental re-index.
        name = upload.relpath.rsplit("/", 1)[-1]
        await self._call("PUT", f"/v1/articles/{upload.file_id}", files={"file": (name, upload.data)})
        return [a.id for a in upload.articles]

    async def remove_article(self, article_id: str) -> str:
        await self._call("DELETE", f"/v1/articles/{article_id}")
        return article_id

    async def reindex(self, progress: Progress) -> dict:
        job = await self._call("POST", "/v1/index/rebuild")
        while job["status"] in RUNNING:
            await progress(f"Re-indexing on the server… {job['status']}" + _stage(job.get("progress")))
            await asyncio.sleep(self.poll_interval_s)
            job = await self._call("GET", f"/v1/index/jobs/{job['id']}")
        if job["status"] != "succeeded":
            raise ServiceError(f"the re-index failed on the server: {job['error'] or job['status']}")
        return job["summary"]

    async def find_articles(self, text: str, limit: int = 25) -> list[tuple[str, str | None]]:
        titles = await self._titles.get() or {}
        return [(i, titles[i]) for i in best_matches(list(titles), text, limit)]

    async def _list_titles(self) -> dict[str, str | None]:
        titles: dict[str, str | None] = {}
        for page in range(LIST_PAGES):
            data = await self._call("GET", "/v1/articles", params={"offset": page * LIST_PAGE, "limit": LIST_PAGE})
            titles.update((a["id"], a["title"]) for a in data["articles"])
            if len(titles) >= data["total"] or not data["articles"]:
                break
        return titles

    async def status(self) -> dict:
        return await self._call("GET", "/v1/index")

    # Feeds live beside the corpus folder, on the server; the API has no feed endpoints (yet).
    async def feeds(self) -> list[dict]:
        raise ServiceError(FEEDS_ON_THE_SERVER)

    async def add_feed(self, url: str, source: str, every: str, keep: str) -> dict:
        raise ServiceError(FEEDS_ON_THE_SERVER)

    async def remove_feed(self, which: str) -> dict:
        raise ServiceError(FEEDS_ON_THE_SERVER)

    async def poll_feeds(self) -> list[dict]:
        raise ServiceError(FEEDS_ON_THE_SERVER)

    async def close(self) -> None:
        await self.client.aclose()


def _stage(progress: dict | None) -> str:
    """A running job's progress ({"stage", "done", "total"}) as a few words."""
    if not progress:
        return ""
    return f" ({progress['stage']}, {progress['done']}/{progress['total']})"


def error_message(response: httpx.Response) -> str:
    """The message of the API's error body ({"error": {"message": ...}}, api/errors.py), or the
    start of whatever else answered (a proxy's page, say)."""
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:300] or response.reason_phrase
