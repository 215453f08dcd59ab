"""Rendering a web page: the templates (HTML-escaped, always), the headers every page carries,
and the handlers that turn WebError and SignInNeeded into a page or a redirect."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from api.security import without_paths
from api.services import ServicesDep
from api.web.errors import SignInNeeded, WebError
from api.web.session import visitor_from
from api.web.views import local_path
from index.store import GenerationReader, IndexUnavailable

TEMPLATES = Path(__file__).parent / "templates"

# Nothing runs or loads from anywhere but this server, and nothing inline: an article's text
# could never become script even if escaping failed somewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def make_templates(folder: Path = TEMPLATES) -> Jinja2Templates:
    """Jinja2 with autoescaping on for every template, whatever its name."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    return Jinja2Templates(env=env)


def render(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
    """The template `name` as a page, with the visitor and the security headers."""
    templates: Jinja2Templates = request.app.state.web_templates
    context = {"visitor": visitor_from(request), "nav": "", **context}
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def error_page(request: Request, status: int, message: str, back: str | None = None) -> HTMLResponse:
    """The page that says why a request failed and what to do; "go back" leads to the page the
    visitor came from on this site, else to `back` or the start page."""
    back = back or local_path(_referring_path(request), "/")
    return render(request, "error.html", {"status": status, "message": without_paths(request, message), "back": back},
                  status)


def _referring_path(request: Request) -> str | None:
    referer = request.headers.get("referer", "")
    here = f"{request.url.scheme}://{request.url.netloc}"
    return referer[len(here):] if referer.startswith(here + "/") else None


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(WebError)
    async def _web_error(request: Request, exc: WebError):
        return error_page(request, exc.status, exc.message, exc.back)

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded):
        return RedirectResponse("/key?" + urlencode({"next": exc.next_path}), status_code=303)


async def get_web_generation(services: ServicesDep) -> GenerationReader:
    """The served generation, or a page that says how to build one."""
    try:
        return await services.run(services.live.current)
    except IndexUnavailable as exc:
        raise WebError(503, f"no index to read yet: {exc}; or sign in with a write key and use "
                            "Re-index on the collection page", "/collection") from None


WebGenerationDep = Annotated[GenerationReader, Depends(get_web_generation)]
