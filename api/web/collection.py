"""The Collection page: the served articles by date with filters (source, dates, text), the
index's generation, model and counts, and what changed in the corpus folder since the build."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.security import without_paths
from api.services import ServicesDep
from api.web.pages import render
from api.web.session import ReaderDep
from api.web.views import article_href
from index.search import Filters
from index.status import feeds_status, index_status
from index.store import GenerationReader, IndexUnavailable

router = APIRouter(include_in_schema=False)
PER_PAGE = 25
MAX_TEXT_CHARS = 200


@dataclass(frozen=True)
class Listing:
    """What the filter form asked for."""

    filters: Filters
    text: str = ""
    page: int = 1
    per_page: int = PER_PAGE


@router.get("/collection", response_class=HTMLResponse)
async def collection(request: Request, visitor: ReaderDep, services: ServicesDep, source: str = "", after: str = "",
                     before: str = "", text: str = "", page: str = "1", per_page: str = str(PER_PAGE)):
    """Articles newest first, a page at a time, beside the index's state and the curator's tools."""
    form = {"source": source, "after": after, "before": before, "text": text}
    feeds = await services.run(feeds_status, services.settings.corpus) if visitor.signed_in else None
    context = {"nav": "collection", "form": form, "problem": None, "index": None, "changes": None, "feeds": feeds,
               "articles": [], "total": 0, "page": 1, "pages": 1, "sources": [], "pager": {"previous": None, "next": None}}
    try:
        generation = await services.run(services.live.current)
    except IndexUnavailable as exc:
        return render(request, "collection.html", {**context, "problem": without_paths(request, f"No index yet: {exc}.")},
                      503)
    settings = services.settings
    status = await services.run(index_status, generation, services.store.where, settings.corpus)
    context.update(index=status, sources=await services.run(sources_of, generation),
                   changes=await services.run(folder_changes, generation, settings.corpus, status["newer_than_index"]))
    try:
        listing = read_listing(source, after, before, text, page, per_page)
    except ValueError as exc:
        return render(request, "collection.html", {**context, "problem": str(exc)}, 422)
    total, articles = await services.run(list_articles, generation, listing)
    pages = max(1, math.ceil(total / listing.per_page))
    return render(request, "collection.html", {**context, "articles": articles, "total": total,
                                               "page": listing.page, "pages": pages,
                                               "pager": pager(form, listing, pages)})


def read_listing(source: str, after: str, before: str, text: str, page: str, per_page: str) -> Listing:
    """The filter form's fields, checked; ValueError names the field and the fix."""
    days = []
    for name, value in (("published from", after), ("published to", before)):
        try:
            days.append(dt.date.fromisoformat(value.strip()) if value.strip() else None)
        except ValueError:
            raise ValueError(f"{name} {value[:40]!r} is not a date; use YYYY-MM-DD or leave it empty") from None
    if not page.isdigit() or int(page) < 1 or not per_page.isdigit() or not 1 <= int(per_page) <= 200:
        raise ValueError(f"page {page[:20]!r} of {per_page[:20]!r} per page: give a page number from 1 and "
                         "1 to 200 articles per page")
    sources = (source.strip()[:500],) if source.strip() else ()
    return Listing(Filters(days[0], days[1], sources), text.strip()[:MAX_TEXT_CHARS], int(page), int(per_page))


def list_articles(generation: GenerationReader, listing: Listing) -> tuple[int, list[dict]]:
    """(how many match, the page of them): newest first, undated last."""
    total, rows = generation.list_articles(listing.filters, (listing.page - 1) * listing.per_page, listing.per_page,
                                           text=listing.text, newest_first=True)
    return total, [{"id": r["id"], "title": r["title"], "published": r["published"], "source": r["source"],
                    "tags": r["tags"], "href": article_href(r["id"])} for r in rows]


def sources_of(generation: GenerationReader) -> list[dict]:
    """The sources of the served articles with their counts, for the filter menus."""
    return generation.memo("web.sources", lambda: [{"name": n, "count": c} for n, c in generation.sources().items()])


def folder_changes(generation: GenerationReader, corpus: Path, newer: list[str]) -> dict[str, list[str]]:
    """Files added or changed in the corpus folder since the build, and indexed files now gone."""
    indexed = {path for _, path in generation.article_hashes().values()}
    return {"added": [p for p in newer if p not in indexed], "changed": [p for p in newer if p in indexed],
            "removed": sorted(p for p in indexed if not (corpus / p).exists())}


def pager(form: dict, listing: Listing, pages: int) -> dict:
    """Links to the previous and next pages, keeping the filters."""
    def link(n: int) -> str:
        kept = {k: v for k, v in form.items() if v}
        if listing.per_page != PER_PAGE:
            kept["per_page"] = listing.per_page
        return "/collection?" + urlencode({**kept, "page": n})
    return {"previous": link(listing.page - 1) if listing.page > 1 else None,
            "next": link(listing.page + 1) if listing.page < pages else None}
