"""POST /v1/ask: a question in, the answer object out (what `footnote ask --json` prints)."""

from __future__ import annotations

from fastapi import APIRouter

from api.schemas import AnswerOut, AskIn
from api.security import Reader
from api.services import ServicesDep

router = APIRouter(prefix="/v1", tags=["ask"], dependencies=[Reader])


@router.post("/ask", response_model=AnswerOut,
             responses={422: {"description": "the question is empty or too long, or k is out of range"},
                        503: {"description": "no index is loaded yet"}})
async def ask(body: AskIn, services: ServicesDep) -> dict:
    """Answer a question with verbatim quotes and numbered citations, or abstain."""
    answer = await services.run(services.answerer.answer, body.to_request())
    await services.answered(answer, "ask")
    return answer.as_dict()
