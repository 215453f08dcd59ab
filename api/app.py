"""`create_app(settings)`: the FastAPI application. The model and the index are opened in the
lifespan; nothing happens at import time."""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import web
from api.docs import install_docs
from api.errors import install_error_handlers
from api.limits import (RATE_LIMITED_PREFIX, BodyLimitMiddleware, RateLimitMiddleware, RequestIdMiddleware,
                        TokenBuckets)
from api.metrics import ApiMetrics
from api.routes import api_router
from api.security import without_paths
from api.services import Services
from api.settings import Settings
from corpus.fetch import allowed_from_env
from index.store import IndexUnavailable

log = logging.getLogger("footnote.api")

DESCRIPTION = """Answers questions over a folder of articles with **verbatim quotes** and exact
character offsets. Reading is open unless `FOOTNOTE_READ_REQUIRES_KEY` is set; writing (articles,
rebuilds) needs an API key (`X-API-Key` or `Authorization: Bearer`). Every error has one shape:
`{"error": {"status", "code", "message", "request_id"}}`. The web page for people is at `/`."""


def create_app(settings: Settings) -> FastAPI:
    """The API over `settings.index`, serving its newest generation as it changes."""
    metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        services = Services.start(settings, metrics)
        app.state.services = services
        metrics.watch_index(services.live)
        try:
            if settings.warm_up:
                await services.run(services.warm_up)
            try:
                generation = await services.run(services.live.current)
                log.info("serving generation %s from %s", generation.name, services.store.where)
            except IndexUnavailable as exc:
                log.warning("not ready yet: %s", exc)  # /readyz says 503 until an index appears
            if settings.watch:
                services.start_watching(app.state.fetch_allowed)
                log.info("watching %s: changes are indexed a moment after they are saved", settings.corpus)
            yield
        finally:
            metrics.watch_index(None)
            await anyio.to_thread.run_sync(services.close)

    app = FastAPI(title="Footnote", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    # Where feeds may be fetched from (public addresses; loopback too only under the test setting)
    app.state.fetch_allowed = allowed_from_env(os.environ)
    install_error_handlers(app, without_paths)
    install_docs(app)
    app.include_router(api_router)
    web.install_web(app)
    # Added innermost first: the request id wraps everything, so even a 413 or 429 carries it.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes,
                       article_max_bytes=settings.max_article_bytes, upload_paths=web.UPLOAD_PATHS)
    if settings.rate_limit_per_minute:
        app.add_middleware(RateLimitMiddleware, buckets=TokenBuckets(settings.rate_limit_per_minute,
                                                                     settings.rate_limit_burst),
                           keys=settings.key_values(), prefixes=(RATE_LIMITED_PREFIX, *web.RATE_LIMITED_PATHS))
    metrics.instrument(app)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
                           allow_headers=["*"], expose_headers=["X-Request-ID", "Retry-After", "Location"])
    app.add_middleware(RequestIdMiddleware)
    return app


def create_app_from_env() -> FastAPI:
    """The app with settings from FOOTNOTE_* variables and `.env` (uvicorn's factory for --workers)."""
    return create_app(Settings())
