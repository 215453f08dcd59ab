"""The curator's feeds on the web page (signed in): add one, remove one, poll them now. The list
with each feed's last poll and trouble is part of the collection page (api/web/collection.py)."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from api.services import ServicesDep
from api.web.errors import WebError
from api.web.session import WriterDep, check_write_form
from corpus.feeds import FeedsFileError, add_feed, check_feed, poll_feeds, remove_feed

router = APIRouter(include_in_schema=False)
BACK = "/collection#feeds"


@router.post("/collection/feeds/add")
async def add(request: Request, visitor: WriterDep, services: ServicesDep):
    """Add a feed to feeds.toml; it is polled with the next poll."""
    form = await request.form(max_files=0, max_fields=8)
    check_write_form(request, visitor, form)
    fields = {name: str(form.get(name) or "").strip() for name in ("url", "source", "every", "keep")}
    try:
        feed = check_feed(fields["url"], fields["source"], fields["every"] or "1h", fields["keep"])
        await services.run(add_feed, services.settings.corpus, feed)
    except ValueError as exc:  # FeedsFileError too
        raise WebError(422, str(exc), BACK) from None
    return RedirectResponse(BACK, status_code=303)


@router.post("/collection/feeds/remove")
async def remove(request: Request, visitor: WriterDep, services: ServicesDep):
    """Take a feed out of feeds.toml; the articles it saved stay."""
    form = await request.form(max_files=0, max_fields=4)
    check_write_form(request, visitor, form)
    try:
        await services.run(remove_feed, services.settings.corpus, str(form.get("feed") or ""))
    except FeedsFileError as exc:
        raise WebError(404, str(exc), BACK) from None
    return RedirectResponse(BACK, status_code=303)


@router.post("/collection/feeds/poll")
async def poll(request: Request, visitor: WriterDep, services: ServicesDep):
    """Poll every feed now; when articles were saved, follow the build that indexes them."""
    check_write_form(request, visitor, await request.form(max_files=0, max_fields=4))
    try:  # fetching waits on the network: a thread of its own, not a query thread
        reports = await anyio.to_thread.run_sync(poll_feeds, services.settings.corpus, request.app.state.fetch_allowed)
    except FeedsFileError as exc:
        raise WebError(422, str(exc), BACK) from None
    saved = sum(len(r.new) + len(r.updated) for r in reports)
    if not saved:
        return RedirectResponse(BACK, status_code=303)
    job = services.jobs.submit(f"web: feeds poll saved {saved} article(s)")
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)
