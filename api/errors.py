"""One error shape for every failure, and the one place that maps exceptions onto it.

    {"error": {"status": 422, "code": "invalid_request", "message": "...", "request_id": "...",
               "details": [...]}}

`error.message` and `error.code` are where OpenAI clients look, so the chat endpoint's
errors read naturally there too.
"""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from corpus.article import ArticleError
from corpus import folder
from index.answer import QuestionError
from index.store import IndexUnavailable, IndexMissing

log = logging.getLogger("footnote.api")

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "body_too_large", 415: "unsupported_media_type",
          422: "invalid_request", 429: "rate_limited", 500: "internal_error", 503: "unavailable"}


class ApiError(Exception):
    """An error the API answers with: status, a stable code, and a message naming the fix."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 headers: dict[str, str] | None = None, details: list | None = None):
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self.message = message
        self.headers = headers or {}
        self.details = details


def error_body(status: int, code: str, message: str, request_id: str | None, details=None) -> dict:
    error = {"status": status, "code": code, "message": message, "request_id": request_id}
    if details:
        error["details"] = details
    return {"error": error}


def error_response(status: int, message: str, code: str | None = None, request_id: str | None = None,
                   headers: dict[str, str] | None = None, details=None) -> JSONResponse:
    headers = dict(headers or {})
    if request_id:
        headers["X-Request-ID"] = request_id
    body = error_body(status, code or _CODES.get(status, "error"), message, request_id, details)
    return JSONResponse(body, status_code=status, headers=headers)


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


# Paths that are the API's, whatever the client accepts: their errors are the JSON error body.
_API_PATHS = ("/v1/", "/v1", "/metrics", "/healthz", "/readyz", "/docs", "/openapi.json")


def page_or_json(request: Request, response: JSONResponse) -> Response:
    """`response`, or, for a browser on one of the web page's paths, the web page's error page
    with the same status and message (a form that is too big must not answer in raw JSON)."""
    page = getattr(request.app.state, "web_error_page", None)
    if (page is None or request.url.path.startswith(_API_PATHS)
            or "text/html" not in request.headers.get("accept", "")):
        return response
    error = json.loads(response.body)["error"]
    html = page(request, error["status"], error["message"])
    html.headers.update({k: v for k, v in response.headers.items() if k.lower() in ("retry-after", "connection",
                                                                                     "x-request-id")})
    return html


def install_error_handlers(app: FastAPI, without_paths=lambda request, text: text) -> None:
    """Map every exception the API can meet onto the one error shape; `without_paths(request,
    text)` takes out of a message what this caller may not see (api/security.py's)."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return error_response(exc.status, without_paths(request, exc.message), exc.code, request_id_of(request),
                              exc.headers, exc.details)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {request.method} {request.url.path}; see /docs for the API"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}; see /docs for its methods"
        elif exc.status_code == 400 and message.startswith("Too many"):  # a form with more fields than its page's
            message = f"{message.rstrip('.')}: send the form as the page gives it"
        return page_or_json(request, error_response(exc.status_code, message, None, request_id_of(request),
                                                    getattr(exc, "headers", None)))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        details = [_detail(e) for e in exc.errors()]
        first = details[0] if details else {"field": "request", "message": "is invalid"}
        message = f"{first['field']}: {first['message']}"
        if len(details) > 1:
            message += f" (and {len(details) - 1} more problem(s), listed in details)"
        return error_response(422, message, "invalid_request", request_id_of(request), details=details)

    @app.exception_handler(QuestionError)
    async def _question_error(request: Request, exc: QuestionError):
        return error_response(422, str(exc), "invalid_question", request_id_of(request))

    @app.exception_handler(ArticleError)
    async def _article_error(request: Request, exc: ArticleError):
        return error_response(422, str(exc), "invalid_article", request_id_of(request))

    @app.exception_handler(folder.CorpusWriteError)
    async def _corpus_write_error(request: Request, exc: folder.CorpusWriteError):
        status, code = CORPUS_WRITE_ERRORS[type(exc)]
        return error_response(status, str(exc), code, request_id_of(request))

    @app.exception_handler(IndexUnavailable)
    async def _index_error(request: Request, exc: IndexUnavailable):
        message = without_paths(request, str(exc))
        if isinstance(exc, IndexMissing):
            message += " (or POST /v1/index/rebuild with an API key)"
        return error_response(503, message, "index_unavailable", request_id_of(request),
                              headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        rid = request_id_of(request)
        log.error("request %s %s %s failed", rid, request.method, request.url.path, exc_info=exc)
        return error_response(500, f"internal error; the server log has the details under request id {rid}",
                              "internal_error", rid)


CORPUS_WRITE_ERRORS = {
    folder.InvalidArticleId: (422, "invalid_article_id"),
    folder.UnsupportedFormat: (415, "unsupported_format"),
    folder.ArticleInCollection: (409, "article_in_collection"),
    folder.ArticleNotFound: (404, "article_not_found"),
    folder.CorpusUnavailable: (503, "corpus_unavailable"),
}


def _detail(error: dict) -> dict:
    """A pydantic error as {field, message}: `body.k`, `query.q`, ..."""
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "__root__") or "request"
    return {"field": where, "message": error.get("msg", "is invalid"), "type": error.get("type", "")}
