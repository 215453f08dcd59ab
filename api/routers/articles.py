"""/v1/articles: list, read (with a quoted span in context), add or replace, delete.

Writing an article puts its file in the corpus folder and queues an incremental re-index;
the response carries that job."""

from __future__ import annotations

import dataclasses
import json
from pathlib import PurePosixPath
from typing import Annotated

from fastapi import APIRouter, Query as Q, Request, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from fastapi.exceptions import RequestValidationError

from api.errors import ApiError
from api.schemas import ArticleIn, ArticleOut, ArticlePage, ArticleWritten, Day, Name
from api.security import Reader, Writer
from api.services import GenerationDep, ServicesDep
from corpus.folder import CorpusFolder, check_id
from corpus.formats import PARSERS
from index.search import Filters

router = APIRouter(prefix="/v1/articles", tags=["articles"])
MAX_CONTEXT = 2000

_PUT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": ArticleIn.model_json_schema(ref_template="#/components/schemas/{model}")},
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary",
                                "description": f"an article file: {', '.join(sorted(PARSERS))}"}}}}}}}


@router.get("", response_model=ArticlePage, dependencies=[Reader])
async def list_articles(services: ServicesDep, generation: GenerationDep,
                        source: Annotated[list[Name], Q(max_length=100, description="repeatable")] = [],
                        published_after: Annotated[Day | None, Q()] = None,
                        published_before: Annotated[Day | None, Q()] = None,
                        offset: Annotated[int, Q(ge=0, le=10_000_000)] = 0,
                        limit: Annotated[int, Q(ge=1, le=500)] = 50) -> dict:
    """Articles of the served generation (metadata, no text), by id, a page at a time."""
    filters = Filters(published_after, published_before, tuple(source))
    total, rows = await services.run(generation.list_articles, filters, offset, limit)
    return {"generation": generation.name, "total": total, "offset": offset, "limit": limit, "articles": rows}


@router.get("/{article_id:path}", response_model=ArticleOut, dependencies=[Reader])
async def get_article(article_id: str, services: ServicesDep, generation: GenerationDep,
                      start: Annotated[int | None, Q(ge=0, description="with `end`: quote this span")] = None,
                      end: Annotated[int | None, Q(ge=0)] = None,
                      context: Annotated[int, Q(ge=0, le=MAX_CONTEXT, description="characters around the span")] = 200,
                      ) -> dict:
    """An article's metadata and text; with `start` and `end`, that span quoted with context."""
    article = await services.run(generation.article, article_id)
    if article is None:
        raise ApiError(404, f"no article {article_id!r} in generation {generation.name}; "
                            "GET /v1/articles lists them", "article_not_found")
    body = {**dataclasses.asdict(article), "tags": list(article.tags), "generation": generation.name}
    if start is not None or end is not None:
        body["span"] = _span(article_id, article.text, start, end, context)
    return body


def _span(article_id: str, text: str, start: int | None, end: int | None, context: int) -> dict:
    if start is None or end is None:
        raise ApiError(422, "give both `start` and `end` to quote a span (character offsets, end exclusive)")
    if not start < end <= len(text):
        raise ApiError(422, f"span {start}..{end} is outside article {article_id!r}, whose text is "
                            f"{len(text)} characters; use 0 <= start < end <= {len(text)}", "invalid_span")
    return {"start": start, "end": end, "text": text[start:end],
            "before": text[max(0, start - context):start], "after": text[end:end + context]}


@router.put("/{article_id:path}", response_model=ArticleWritten, status_code=status.HTTP_202_ACCEPTED,
            dependencies=[Writer], openapi_extra=_PUT_BODY,
            responses={409: {"description": "the id is a collection file or a record of one"},
                       413: {"description": "the body is over FOOTNOTE_MAX_ARTICLE_BYTES"},
                       415: {"description": "the upload's file type is not an article format"},
                       422: {"description": "the article does not parse, or the id is not allowed"}})
async def put_article(article_id: str, request: Request, services: ServicesDep) -> JSONResponse:
    """Add or replace one article (JSON, or an uploaded file in any supported format); the file
    is written atomically into the corpus folder and an incremental re-index is queued."""
    folder = CorpusFolder(services.settings.corpus)
    check_id(article_id)
    suffix, data = await _article_file(request)
    path, _, removed = await services.run(folder.write, article_id, suffix, data, services.settings.max_article_bytes)
    job = services.jobs.submit(f"PUT {article_id}")
    return _written(article_id, folder.relative(path), [folder.relative(p) for p in removed], job)


@router.delete("/{article_id:path}", response_model=ArticleWritten, status_code=status.HTTP_202_ACCEPTED,
               dependencies=[Writer], responses={404: {"description": "no file holds this article"},
                                                 409: {"description": "the id is a collection file or a record of one"}})
async def delete_article(article_id: str, services: ServicesDep) -> JSONResponse:
    """Remove an article's file from the corpus folder and queue an incremental re-index."""
    folder = CorpusFolder(services.settings.corpus)
    removed = await services.run(folder.delete, article_id)
    job = services.jobs.submit(f"DELETE {article_id}")
    return _written(article_id, None, [folder.relative(p) for p in removed], job)


async def _article_file(request: Request) -> tuple[str, bytes]:
    """(suffix, bytes) of the article in the request: a JSON object or a multipart upload."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            article = ArticleIn.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
        # ASCII escapes: an unpaired surrogate in the body reaches the parser (and its clear
        # error) instead of failing to encode here.
        return ".json", json.dumps(article.model_dump(exclude_none=True)).encode()
    if kind == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=5)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ApiError(422, "the multipart body has no file; send it in a field named `file`")
        return PurePosixPath(upload.filename or "").suffix.lower(), await upload.read()
    raise ApiError(415, f"content type {kind or '(none)'!r} is not accepted; send the article as "
                        "application/json or upload a file as multipart/form-data (field `file`)")


def _written(article_id: str, path: str | None, removed: list[str], job) -> JSONResponse:
    return JSONResponse({"id": article_id, "path": path, "removed": removed, "job": job.as_dict()},
                        status_code=202, headers={"Location": f"/v1/index/jobs/{job.id}"})
