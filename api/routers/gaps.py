"""GET /v1/gaps (keyed): the questions the collection could not answer, grouped by topic, with
how often and when they were asked and the nearest articles it has (what `footnote gaps --json`
prints). Listing closes the gaps a newer index now answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from api.errors import ApiError
from api.security import Writer
from api.services import ServicesDep
from index.gaps import Place, since_of

router = APIRouter(prefix="/v1", tags=["gaps"], dependencies=[Writer])


class AskedOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str
    asked_at: str
    kind: str  # declined, or down (a 👎 on the answer)
    origin: str  # api, web or discord
    guild_id: int | None  # the Discord server; None elsewhere and in a DM
    private: bool


class NearestOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    article_id: str
    title: str
    published: str | None


class GapOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    count: int
    first_asked: str
    last_asked: str
    questions: list[AskedOut]
    nearest: list[NearestOut]
    closed: bool
    closed_at: str | None
    closed_by: str | None


class GapsOut(BaseModel):
    gaps: list[GapOut]


@router.get("/gaps", response_model=GapsOut, responses={422: {"description": "`since` is not a span or a day"}})
async def list_gaps(services: ServicesDep,
                    since: Annotated[str | None, Query(description="7d, 24h, 2w or YYYY-MM-DD; default: all")] = None,
                    all: Annotated[bool, Query(description="closed gaps too")] = False,  # noqa: A002 - the flag's name
                    guild: Annotated[int | None, Query(description="one Discord server's own questions only")] = None,
                    ) -> dict:
    """Declined questions and 👎 answers grouped by topic, most asked first."""
    try:
        start = since_of(since)
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    gaps = await services.run(services.gaps.list, Place(guild=guild), start, all)
    return {"gaps": [g.as_dict() for g in gaps]}
