"""GET /healthz (the process is alive) and GET /readyz (an index is loaded and answering)."""

from __future__ import annotations

from fastapi import APIRouter

from api.errors import ApiError
from api.schemas import Health
from api.services import ServicesDep
from index.store import IndexUnavailable

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, response_model_exclude_none=True)
async def healthz() -> dict:
    """Alive: the process answers HTTP."""
    return {"status": "ok"}


@router.get("/readyz", response_model=Health, response_model_exclude_none=True,
            responses={503: {"description": "no index loaded yet; the error says why and how to build one"}})
async def readyz(services: ServicesDep) -> dict:
    """Ready: the newest generation is open; 503 (with the reason and the fix) until then."""
    try:
        generation = await services.run(services.live.current)
    except IndexUnavailable as exc:
        raise ApiError(503, f"not ready: {exc}", "not_ready", headers={"Retry-After": "5"}) from None
    return {"status": "ready", "generation": generation.name}
