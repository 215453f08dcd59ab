"""The web page for people: ask (`/`), read a quote inside its article (`/articles/{id}`), look
after the collection (`/collection`) and see what it could not answer (`/gaps`). Server-rendered
templates, a little plain JavaScript, no file from anywhere else. `install_web(app)` adds it to the API's app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
# Web paths under the API's rate limit: the ones that cost work, or could guess keys.
RATE_LIMITED_PATHS = ("/ask", "/articles/", "/collection", "/jobs/", "/key", "/gaps")
UPLOAD_PATHS = ("/collection/add",)  # bodies up to FOOTNOTE_MAX_ARTICLE_BYTES, like PUT /v1/articles


def install_web(app: FastAPI) -> None:
    """Add the pages, their error handlers and their static files to `app`."""
    from api.web import article, ask, collection, curate, feeds, gaps
    from corpus.fetch import fetch_page
    from api.web.pages import error_page, install_handlers, make_templates

    app.state.web_templates = make_templates()
    app.state.web_error_page = error_page  # api.errors.page_or_json: a browser on a page gets a page
    app.state.web_fetch = fetch_page  # (url) -> (final url, html); tests swap in one that may reach 127.0.0.1
    install_handlers(app)
    for module in (ask, article, collection, curate, feeds, gaps):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
