"""The Gaps page, for signed-in curators: what people asked that the articles did not answer,
grouped by topic, with the nearest articles the collection has. Questions asked privately on
Discord are left out: several curators may share a key, and this page is theirs together."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.services import ServicesDep
from api.web.errors import SignInNeeded, WebError
from api.web.pages import render
from api.web.session import visitor_from
from api.web.views import article_href
from index.gaps import Place, since_of

router = APIRouter(include_in_schema=False)
SPANS = {"7d": "the last 7 days", "30d": "the last 30 days", "": "all time"}


@router.get("/gaps", response_class=HTMLResponse)
async def gaps_page(request: Request, services: ServicesDep, since: str = "7d", closed: str = ""):
    """The gaps of the chosen span, most asked first; `closed=on` shows the closed ones too."""
    visitor = visitor_from(request)
    if not visitor.writes_enabled:
        raise WebError(403, "the Gaps page is for curators, who sign in with one of the server's API keys; this "
                            "server has none: set FOOTNOTE_API_KEYS='[\"a-long-random-key\"]' and restart it")
    if not visitor.signed_in:
        raise SignInNeeded("/gaps" + (f"?{request.url.query}" if request.url.query else ""))
    since = since if since in SPANS else "7d"
    gaps = await services.run(services.gaps.list, Place(shared=True), since_of(since), closed == "on")
    return render(request, "gaps.html", {"nav": "gaps", "gaps": [gap_view(g) for g in gaps], "since": since,
                                         "spans": SPANS, "closed": closed == "on"})


def gap_view(gap) -> dict:
    """A gap with links to its nearest articles and to the article that closed it."""
    return {**gap.as_dict(), "nearest": [{**c, "href": article_href(c["article_id"])} for c in gap.nearest],
            "closed_href": article_href(gap.closed_by) if gap.closed_by else None}
