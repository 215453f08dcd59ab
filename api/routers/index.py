"""/v1/index: what is served, and rebuilds as background jobs."""

from __future__ import annotations

from fastapi import APIRouter, Query as Q, Request, status
from fastapi.responses import JSONResponse
from typing import Annotated

from api.errors import ApiError
from api.schemas import IndexStatus, JobOut
from api.security import Reader, Writer, holds_key
from api.services import GenerationDep, ServicesDep
from index.status import index_status as status_of

router = APIRouter(prefix="/v1/index", tags=["index"])


@router.get("", response_model=IndexStatus, dependencies=[Reader])
async def index_status(request: Request, services: ServicesDep, generation: GenerationDep) -> dict:
    """The served generation: model, chunking, counts, build time, and corpus files newer than it.
    `index` and `corpus` (the server's own paths, or the Milvus address) are shown only to a
    caller with an API key; to others they are null."""
    status = await services.run(status_of, generation, services.store.where, services.settings.corpus)
    return status if holds_key(request) else {**status, "index": None, "corpus": None}


@router.post("/rebuild", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED, dependencies=[Writer])
async def rebuild(services: ServicesDep,
                  full: Annotated[bool, Q(description="re-chunk every article (cached vectors are reused)")] = False,
                  ) -> JSONResponse:
    """Queue a build of the index from the corpus folder; poll the job it returns."""
    job = services.jobs.submit("rebuild" + (" (full)" if full else ""), rebuild=full)
    return JSONResponse(job.as_dict(), status_code=202, headers={"Location": f"/v1/index/jobs/{job.id}"})


@router.get("/jobs/{job_id}", response_model=JobOut, dependencies=[Reader])
async def get_job(job_id: str, services: ServicesDep) -> dict:
    """A build job: its state, and when finished its summary (as `footnote index --json`) or its error."""
    job = services.jobs.get(job_id)
    if job is None:
        raise ApiError(404, f"no job {job_id!r} on this server (the last 200 are kept); "
                            "start one with POST /v1/index/rebuild", "job_not_found")
    return job.as_dict()
