"""The interactive API docs at /docs, served from this server: Swagger UI's files come from the
`swagger-ui-bundle` package, and the page loads nothing from anywhere else (FastAPI's own /docs
fetches them from a CDN, which an offline machine cannot reach, and runs an inline script)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs/assets"
# Swagger UI styles its elements inline and draws icons from data: URLs; scripts come only from here.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Footnote API</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script></body></html>
"""
START = """window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"});
"""


def install_docs(app: FastAPI) -> None:
    """/docs and its assets; create the app with docs_url=None and redoc_url=None."""
    headers = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"}

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(PAGE, headers=headers)

    @app.get("/docs/start.js", include_in_schema=False)
    async def start() -> Response:
        return Response(START, media_type="text/javascript", headers=headers)

    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")
