"""POST /v1/chat/completions and GET /v1/models: Footnote as a "model" for OpenAI clients and
chat front ends. Messages in; the last user message is the question, earlier ones the history."""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.chat_render import MODEL_ID, completion, completion_chunks, message_text, question_and_history
from api.errors import ApiError
from api.security import Reader
from api.services import ServicesDep
from index.answer import AskRequest

router = APIRouter(prefix="/v1", tags=["chat"], dependencies=[Reader])


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict] | None = None


class ChatIn(BaseModel):
    """The OpenAI chat request; sampling settings (temperature, ...) are accepted and ignored:
    the answer is extractive."""

    model_config = ConfigDict(extra="allow")

    model: Annotated[str, Field(min_length=1, max_length=200)] = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


def _model(services) -> dict:
    return {"id": MODEL_ID, "object": "model", "created": services.started_at, "owned_by": "footnote"}


@router.get("/models", response_model=ModelList)
async def list_models(services: ServicesDep) -> dict:
    """The one model this server offers: `footnote`."""
    return {"object": "list", "data": [_model(services)]}


@router.get("/models/{model_id}", response_model=ModelOut)
async def get_model(model_id: str, services: ServicesDep) -> dict:
    """The `footnote` model."""
    if model_id != MODEL_ID:
        raise ApiError(404, f"model {model_id!r} does not exist; this server offers {MODEL_ID!r}", "model_not_found")
    return _model(services)


@router.post("/chat/completions",
             responses={200: {"description": "a chat.completion, or with `stream` server-sent "
                                             "chat.completion.chunk events ending in `data: [DONE]`",
                              "content": {"text/event-stream": {}}}})
async def chat_completions(body: ChatIn, services: ServicesDep):
    """Answer the last user message; the reply carries `[n]` markers and a sources list, and the
    full answer object rides along under `footnote`."""
    if body.model != MODEL_ID:
        raise ApiError(404, f"model {body.model!r} does not exist; use model {MODEL_ID!r} (GET /v1/models)",
                       "model_not_found")
    messages = [(m.role, message_text(m.content)) for m in body.messages]
    question, history = question_and_history(messages)
    if question is None:
        raise ApiError(422, "messages: there is no `user` message; the last user message is the question")
    answer = await services.run(services.answerer.answer, AskRequest(question, history))
    await services.answered(answer, "chat")
    completion_id, created = f"chatcmpl-{secrets.token_hex(12)}", int(time.time())
    if body.stream:
        return StreamingResponse(completion_chunks(answer, completion_id, created), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})
    return JSONResponse(completion(answer, completion_id, created))
