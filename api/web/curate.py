"""The curator's side of the web page: signing in with a key, re-indexing, adding an article
(a file or a web address) and following the job that brings it into the index."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.errors import CORPUS_WRITE_ERRORS
from api.security import valid_key
from api.services import ServicesDep
from api.web import additions
from api.web.errors import WebError
from api.web.pages import render
from api.web.session import (COOKIE, SESSION_S, ReaderDep, WriterDep, check_same_origin, check_write_form,
                             session_token, sign_out_session)
from api.web.views import local_path
from corpus.additions import from_page, from_upload
from corpus.article import ArticleError
from corpus.folder import CorpusFolder, CorpusWriteError

router = APIRouter(include_in_schema=False)
BACK = "/collection"


@router.get("/key", response_class=HTMLResponse)
async def sign_in_page(request: Request, next: str = "/"):
    """The form that opens a session with an API key."""
    return render(request, "signin.html", {"next": local_path(next), "problem": None})


@router.post("/key", response_class=HTMLResponse)
async def sign_in(request: Request):
    """Check the key; on success set the session cookie and go on to `next`."""
    check_same_origin(request)
    form = await request.form(max_files=0, max_fields=4)
    key, next_path = str(form.get("key") or "").strip(), local_path(str(form.get("next") or "/"))
    keys = request.app.state.settings.key_values()
    if not keys or not key or not valid_key(key, keys):
        problem = ("this server has no API keys, so nobody can sign in; set FOOTNOTE_API_KEYS and restart it"
                   if not keys else "that key is not one of this server's API keys; check it against "
                                    "FOOTNOTE_API_KEYS and try again")
        return render(request, "signin.html", {"next": next_path, "problem": problem}, 403)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(COOKIE, session_token(key, int(time.time())), max_age=SESSION_S, path="/",
                        httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


@router.post("/key/forget")
async def sign_out(request: Request, visitor: WriterDep, services: ServicesDep):
    """End the session: listed as ended on the server (a copy of the cookie stops working too),
    and the cookie removed."""
    check_write_form(request, visitor, await request.form(max_files=0, max_fields=4))
    if not visitor.via_header:
        await services.run(sign_out_session, Path(services.settings.index), request.cookies.get(COOKIE, ""),
                           visitor.session, int(time.time()))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.post("/collection/reindex")
async def reindex(request: Request, visitor: WriterDep, services: ServicesDep):
    """Queue a build of the index from the corpus folder, then show its job."""
    form = await request.form(max_files=0, max_fields=4)
    check_write_form(request, visitor, form)
    full = form.get("full") == "on"
    job = services.jobs.submit("web: re-index" + (" (full)" if full else ""), rebuild=full)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.post("/collection/add")
async def add_article(request: Request, visitor: WriterDep, services: ServicesDep):
    """Add an uploaded file or a fetched page to the corpus folder, then re-index."""
    form = await request.form(max_files=1, max_fields=8)
    check_write_form(request, visitor, form)
    upload, url = form.get("file"), str(form.get("url") or "").strip()
    file_id, date = str(form.get("id") or "").strip(), str(form.get("date") or "").strip()
    try:
        if upload is not None and not isinstance(upload, str) and upload.filename:
            data = await upload.read()
            new = await anyio.to_thread.run_sync(from_upload, upload.filename, data, additions.FOLDER, file_id)
        elif url:
            final, html = await anyio.to_thread.run_sync(request.app.state.web_fetch, url)
            new = await anyio.to_thread.run_sync(from_page, final, html, additions.FOLDER, file_id, date)
        else:
            raise WebError(422, "give a web address or choose a file to add", BACK)
        written = await services.run(additions.write_new, CorpusFolder(services.settings.corpus), new,
                                     services.settings.max_article_bytes, form.get("replace") == "on")
    except ArticleError as exc:  # a FetchError too
        raise WebError(422, str(exc), BACK) from None
    except FileExistsError as exc:
        raise WebError(409, str(exc), BACK) from None
    except CorpusWriteError as exc:
        raise WebError(CORPUS_WRITE_ERRORS[type(exc)][0], str(exc), BACK) from None
    job = services.jobs.submit(f"web: add {written}")
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
async def job_page(request: Request, job_id: str, _: ReaderDep, services: ServicesDep, part: str = ""):
    """A job's state and progress; `part=status` is just the part the page's script refreshes."""
    job = services.jobs.get(job_id)
    if job is None:
        raise WebError(404, f"no job {job_id[:40]!r} on this server (the last 200 are kept); start one with "
                            "Re-index on the collection page", BACK)
    template = "_job_status.html" if part == "status" else "job.html"
    return render(request, template, {"nav": "collection", "job": job.as_dict()})
