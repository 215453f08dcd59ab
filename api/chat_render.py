"""The answer object as an OpenAI chat completion: pure functions, no I/O.

The reply text is the quotes with their `[n]` markers, then a sources list whose lines end
in `<article id>`; reading those ids back from an earlier assistant message is how a
follow-up question knows which articles the conversation was about."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from corpus.dates import date_part
from index.answer import Answer, Turn

MODEL_ID = "footnote"
_SOURCE_LINE = re.compile(r"^\[\d+\] .*<([^<>\s]+)>\s*$", re.MULTILINE)
_PIECE = re.compile(r"(?:\S+\s*){1,8}")  # about eight words per streamed chunk


def reply_text(answer: Answer) -> str:
    """Quotes with `[n]` markers and a sources list; or the abstention and the closest articles."""
    if answer.abstained:
        lines = [answer.text]
        if answer.related:
            lines += ["", "Related:", *(_source_line(c) for c in answer.related)]
        return "\n".join(lines)
    return "\n".join([answer.text, "", "Sources:", *(_source_line(c) for c in answer.citations)])


def _source_line(c) -> str:
    date = date_part(c.published) or "undated"
    return f"[{c.n}] {c.title} ({date}) <{c.article_id}>"


def message_text(content) -> str:
    """The text of a message's content: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def question_and_history(messages: list[tuple[str, str]]) -> tuple[str | None, tuple[Turn, ...]]:
    """The last user message is the question; earlier user messages, each with the articles its
    assistant reply cited, are the history."""
    user_at = [i for i, (role, _) in enumerate(messages) if role == "user"]
    if not user_at:
        return None, ()
    history = []
    for i in user_at[:-1]:
        reply = next((text for role, text in messages[i + 1:] if role == "assistant"), "")
        reply = reply.split("Sources:", 1)[1] if "Sources:" in reply else ""
        history.append(Turn(messages[i][1], tuple(_SOURCE_LINE.findall(reply))))
    return messages[user_at[-1]][1], tuple(history)


def completion(answer: Answer, completion_id: str, created: int) -> dict:
    """A `chat.completion` object; the full answer object rides along under `footnote`."""
    return {"id": completion_id, "object": "chat.completion", "created": created, "model": MODEL_ID,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply_text(answer)},
                         "finish_reason": "stop", "logprobs": None}],
            "footnote": answer.as_dict()}


def completion_chunks(answer: Answer, completion_id: str, created: int) -> Iterator[str]:
    """Server-sent events of `chat.completion.chunk` objects, ending with `data: [DONE]`."""
    def event(delta: dict, finish: str | None = None, **extra) -> str:
        chunk = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}
        return f"data: {json.dumps(chunk)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for piece in _PIECE.findall(reply_text(answer)):
        yield event({"content": piece})
    yield event({}, "stop", footnote=answer.as_dict())
    yield "data: [DONE]\n\n"
