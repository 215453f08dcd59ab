"""All the routers, gathered."""

from fastapi import APIRouter

from api.routers import articles, ask, chat, gaps, health, index, search

api_router = APIRouter()
for module in (ask, search, articles, index, gaps, chat, health):
    api_router.include_router(module.router)
