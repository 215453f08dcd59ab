"""POST /v1/ask: a question in, the answer object out (what `footnote ask --json` prints)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.schemas import AnswerOut, AskIn
from api.security import Reader
from api.services import ServicesDep
from index.gaps import KEPT_BY_CALLER

router = APIRouter(prefix="/v1", tags=["ask"], dependencies=[Reader])


@router.post("/ask", response_model=AnswerOut,
             responses={422: {"description": "the question is empty or too long, or k is out of range"},
                        503: {"description": "no index is loaded yet"}})
async def ask(body: AskIn, services: ServicesDep, request: Request) -> dict:
    """Answer a question with verbatim quotes and numbered citations, or abstain. A declined
    question is kept for the curators (GET /v1/gaps) unless `X-Footnote-Gaps: kept-by-caller`."""
    answer = await services.run(services.answerer.answer, body.to_request())
    name, value = KEPT_BY_CALLER
    await services.answered(answer, "ask", keep=request.headers.get(name) != value)
    return answer.as_dict()
