"""GET /v1/search: ranked passages with their scores and offsets, no answer composed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query as Q

from api.schemas import K, Day, Name, Question, SearchOut
from api.security import Reader
from api.services import GenerationDep, ServicesDep
from index.answer import check_question, passage_dict
from index.search import Filters, Query

router = APIRouter(prefix="/v1", tags=["search"], dependencies=[Reader])


@router.get("/search", response_model=SearchOut)
async def search(services: ServicesDep, generation: GenerationDep,
                 q: Annotated[Question, Q(description="what to search for")],
                 k: Annotated[K, Q()] = 10,
                 published_after: Annotated[Day | None, Q()] = None,
                 published_before: Annotated[Day | None, Q()] = None,
                 source: Annotated[list[Name], Q(max_length=100, description="repeatable")] = [],
                 article_id: Annotated[list[Name], Q(max_length=1000, description="repeatable")] = []) -> dict:
    """The best passages for `q` in the served generation, best first."""
    text = check_question(q, k)
    query = Query(text, Filters(published_after, published_before, tuple(source), tuple(article_id)))
    passages = await services.run(services.retriever.search, generation, query, k)
    return {"query": text, "generation": generation.name, "passages": [passage_dict(p) for p in passages]}
