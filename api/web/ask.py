"""The Ask page: a question (with an optional as-of date and source), the answer as the API gives
it, and follow-ups that keep the conversation's history in the form."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.services import Services, ServicesDep
from api.web.collection import sources_of
from api.web.pages import WebGenerationDep, render
from api.web.session import ReaderDep
from api.web.views import article_href, cited_ids, citation_views, quote_views, read_history, write_history
from index.answer import Answer, AskRequest, QuestionError, Turn, check_day, check_question
from index.search import Filters
from index.store import GenerationReader

router = APIRouter(include_in_schema=False)
FIELDS = ("question", "as_of", "source", "history")
FRAGMENT_HEADER = "x-footnote-fragment"  # the page's script asks for just the new turn


@router.get("/", response_class=HTMLResponse)
async def ask_page(request: Request, _: ReaderDep, services: ServicesDep, generation: WebGenerationDep):
    """An empty conversation."""
    return render(request, "ask.html", await _page(services, generation, dict.fromkeys(FIELDS, "")))


@router.post("/ask", response_class=HTMLResponse)
async def ask(request: Request, _: ReaderDep, services: ServicesDep, generation: WebGenerationDep):
    """Answer the form's question; the page (or, for the script, the new turn) with the answer."""
    form = await request.form(max_files=0, max_fields=len(FIELDS) + 2)
    fields = {name: str(form.get(name) or "") for name in FIELDS}
    fragment = request.headers.get(FRAGMENT_HEADER) == "turn"
    try:
        asked = ask_request(fields)
    except ValueError as exc:  # QuestionError is one
        if fragment:
            return render(request, "_problem.html", {"message": str(exc)}, 422)
        context = await _page(services, generation, fields, error=str(exc))
        return render(request, "ask.html", context, 422)
    answer = await services.run(services.answerer.answer, asked)
    await services.answered(answer, "web")
    history = write_history((*asked.history, Turn(answer.question, cited_ids(answer))))
    turn = turn_view(answer, len(asked.history) + 1)
    if fragment:
        return render(request, "_turn.html", {"turn": turn, "history": history})
    context = await _page(services, generation, {**fields, "question": "", "history": history},
                          earlier=asked.history)
    return render(request, "ask.html", {**context, "turn": turn})


def ask_request(fields: dict[str, str]) -> AskRequest:
    """The form as a question to the answerer; ValueError names the field and the fix."""
    question = check_question(fields["question"], 5)
    as_of = None
    if fields["as_of"].strip():
        try:
            as_of = dt.date.fromisoformat(fields["as_of"].strip())
        except ValueError:
            raise QuestionError(f"as of {fields['as_of'][:40]!r} is not a date; use YYYY-MM-DD or leave it "
                                "empty for today") from None
        check_day(as_of, "as of")
    source = fields["source"].strip()[:500]
    filters = Filters(sources=(source,)) if source else Filters()
    return AskRequest(question, read_history(fields["history"]), as_of, filters)


def turn_view(answer: Answer, number: int) -> dict:
    return {"no": number, "answer": answer, "quotes": quote_views(answer), "citations": citation_views(answer)}


async def _page(services: Services, generation: GenerationReader, fields: dict, error: str | None = None,
                earlier: tuple[Turn, ...] = ()) -> dict:
    sources, turns = await services.run(_lookups, generation, earlier)
    return {"nav": "ask", "fields": fields, "error": error, "sources": sources, "earlier": turns,
            "turn": None, "history": fields["history"]}


def _lookups(generation: GenerationReader, earlier: tuple[Turn, ...]) -> tuple[list, list[dict]]:
    """The sources to filter by, and the earlier turns with their cited articles' titles."""
    turns = []
    for turn in earlier:
        found = [(aid, generation.article(aid)) for aid in turn.article_ids]
        turns.append({"question": turn.question,
                      "articles": [{"title": a.title, "href": article_href(aid)} for aid, a in found if a]})
    return sources_of(generation), turns
