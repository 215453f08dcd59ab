"""The HTTP session beneath discord.py's HTTPClient, answered by the fake Discord: discord.py
builds and sends every REST request itself and reads the answers with its own code, so its
rate-limit handling runs against real 429 answers (with `retry_after`, per route or global), and
its errors come from real status codes. A request sent again before Discord's `retry_after`
has passed is a violation, as Discord would punish it."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import discord



class _Response:
    def __init__(self, status: int, body, headers: dict[str, str] | None = None):
        self.status = status
        self.reason = {204: "No Content", 429: "Too Many Requests"}.get(status, "")
        self._text = "" if body is None else json.dumps(body)
        kind = {} if body is None else {"content-type": "application/json"}  # a 204 has no body and no type
        self.headers = {**kind, **(headers or {})}

    async def text(self, encoding: str = "utf-8") -> str:
        return self._text


class FakeSession:
    """What `aiohttp.ClientSession` is to discord.py's HTTPClient, for one FakeDiscord."""

    closed = False

    def __init__(self, fake):
        self.fake = fake
        self.storms: list[dict] = []  # rate limits to answer with, in order
        self.not_before: dict[str, float] = {}  # route (or "global") -> when Discord allows it again
        self.retries_honoured = 0

    def rate_limit(self, path_part: str, times: int, retry_after: float, is_global: bool = False) -> None:
        """Answer the next `times` requests whose path holds `path_part` with a 429."""
        self.storms.append({"part": path_part, "left": times, "retry_after": retry_after, "global": is_global})

    def request(self, method: str, url: str, **kwargs) -> _Exchange:
        return _Exchange(self, method, url, kwargs)

    async def close(self) -> None:
        self.closed = True

    async def answer(self, method: str, url: str, kwargs: dict) -> _Response:
        path = url.removeprefix(discord.http.Route.BASE)
        now = time.monotonic()
        for key in (path, "global"):
            wait = self.not_before.get(key, 0.0) - now
            if wait > 0.001:
                self.fake.violations.append(f"{method} {path}: sent {wait:.2f} s before Discord's retry_after "
                                            "had passed (Discord would ban the bot's token for this)")
            elif key in self.not_before:
                del self.not_before[key]
                self.retries_honoured += 1
        storm = next((s for s in self.storms if s["left"] > 0 and s["part"] in path), None)
        if storm is not None:
            storm["left"] -= 1
            self.not_before["global" if storm["global"] else path] = now + storm["retry_after"]
            body = {"message": "You are being rate limited.", "retry_after": storm["retry_after"],
                    "global": storm["global"], "code": 0}
            return _Response(429, body, {"Via": "1.1 google", "X-RateLimit-Scope": "user"})
        route = SimpleNamespace(method=method, url=url)
        body = _body(kwargs.get("data"))
        try:
            if path.startswith(("/webhooks/", "/interactions/")):  # interaction responses and followups
                data = await self.fake.webhook_request(route, body)
            else:
                data = await self.fake.http_request(route, json=body)
        except discord.HTTPException as exc:  # the fake's refusal, sent back as Discord sends it
            return _Response(exc.status, {"code": exc.code, "message": exc.text})
        return _Response(200 if data is not None else 204, data)


class _Exchange:
    def __init__(self, session: FakeSession, method: str, url: str, kwargs: dict):
        self.session, self.method, self.url, self.kwargs = session, method, url, kwargs

    async def __aenter__(self) -> _Response:
        return await self.session.answer(self.method, self.url, self.kwargs)

    async def __aexit__(self, *exc) -> None:
        return None


def _body(data):
    """The JSON body discord.py sent: a JSON string, or the `payload_json` part of a form."""
    if data is None:
        return None
    if isinstance(data, (str, bytes)):
        return json.loads(data)
    for options, _, value in getattr(data, "_fields", []):
        if options.get("name") == "payload_json":
            return json.loads(value)
    return None
