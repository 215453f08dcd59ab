"""An article's page: its text with the quoted spans highlighted from their stored offsets (never
found again by searching the text), its metadata, source link and syndicated copies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query as Q, Request
from fastapi.responses import HTMLResponse

from api.services import ServicesDep
from api.web.errors import WebError
from api.web.pages import WebGenerationDep, render
from api.web.session import ReaderDep
from api.web.views import SpanError, anchor, article_href, parse_spans, safe_href, segments
from index.search import Query, Retriever
from index.store import GenerationReader

router = APIRouter(include_in_schema=False)
COPY_PROBE_CHARS = 600  # the opening of an article, searched for to find its syndicated copies
COPY_PROBE_K = 10


@router.get("/articles/{article_id:path}", response_class=HTMLResponse)
async def article_page(request: Request, article_id: str, _: ReaderDep, services: ServicesDep,
                       generation: WebGenerationDep,
                       span: Annotated[list[str], Q(description="START-END, repeatable")] = []):
    """The article with `span`s highlighted; the link's #span-START-END fragment scrolls to one."""
    article = await services.run(generation.article, article_id)
    if article is None:
        raise WebError(404, f"no article {article_id!r} in generation {generation.name}; find it on the "
                            "collection page", "/collection")
    try:
        spans = parse_spans(span, article_id, len(article.text))
    except SpanError as exc:
        raise WebError(422, str(exc), article_href(article_id)) from None
    copies = await services.run(syndicated_copies, services.retriever, generation, article_id)
    return render(request, "article.html", {
        "nav": "collection", "article": article, "generation": generation.name, "url": safe_href(article.url),
        "segments": segments(article.text, spans), "copies": copies,
        "spans": [{"start": s, "end": e, "anchor": anchor(s, e)} for s, e in sorted(spans)]})


def syndicated_copies(retriever: Retriever, generation: GenerationReader, article_id: str) -> list[dict]:
    """The other articles carrying the same story, by the rule answers use to fold copies together:
    search for the article's opening and see what retrieval folded into it (or it into)."""
    chunks = generation.chunks_of([article_id])
    if not chunks:
        return []
    passages = retriever.search(generation, Query(chunks[0].text[:COPY_PROBE_CHARS]), COPY_PROBE_K)
    for p in passages:
        family = [p.chunk.article_id, *p.duplicates]
        if article_id in family:
            found = [(aid, generation.article(aid)) for aid in family if aid != article_id]
            return [{"id": aid, "title": a.title, "published": a.published, "source": a.source,
                     "href": article_href(aid)} for aid, a in found if a]
    return []
