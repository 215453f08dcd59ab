"""Request ids, body-size limits and rate limits: pure ASGI middleware that answer in the one
error shape before any endpoint runs."""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response, page_or_json
from api.security import presented_key, valid_key

RATE_LIMITED_PREFIX = "/v1/"


class RequestIdMiddleware:
    """Give every request an id (or keep the caller's X-Request-ID) and echo it in the response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = Headers(scope=scope).get("x-request-id", "")
        rid = given if given and len(given) <= 64 and given.isascii() and given.isprintable() \
            else secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", rid.encode())]}
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyLimitMiddleware:
    """Refuse bodies over the limit with 413, by Content-Length or while they stream in."""

    def __init__(self, app: ASGIApp, max_bytes: int, article_max_bytes: int, upload_paths: tuple[str, ...] = ()):
        self.app = app
        self.max_bytes = max_bytes
        self.article_max_bytes = article_max_bytes
        self.upload_paths = upload_paths  # POSTs that carry an article file (the web page's form)

    def limit_for(self, scope: Scope) -> int:
        if scope["method"] == "PUT" and scope["path"].startswith("/v1/articles/"):
            return self.article_max_bytes
        if scope["method"] == "POST" and scope["path"] in self.upload_paths:
            return self.article_max_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit_for(scope)
        rid = scope.get("state", {}).get("request_id")
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await self._refuse(scope, receive, send, limit, rid)
        received = 0
        refused = started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now; to the app the client has gone away, and what it sends is dropped.
                    refused = True
                    if not started:
                        await self._refuse(scope, receive, send, limit, rid)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            if not refused:
                await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(self, scope, receive, send, limit: int, rid) -> None:
        response = error_response(
            413, f"the request body is over the {limit} byte limit for {scope['method']} {scope['path']}; "
                 "send less (an article over the limit can be split, or the limit raised with "
                 "FOOTNOTE_MAX_BODY_BYTES / FOOTNOTE_MAX_ARTICLE_BYTES)",
            "body_too_large", rid, headers={"Connection": "close"})
        if "app" in scope:  # inside the app: a browser on a web page gets the page's own error page
            response = page_or_json(Request(scope), response)
        await response(scope, receive, send)


class TokenBuckets:
    """Per-client token buckets: `rate_per_minute` refill, `burst` capacity. Thread-safe."""

    def __init__(self, rate_per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic,
                 max_clients: int = 100_000):
        self.rate_per_s = rate_per_minute / 60.0
        self.burst = burst
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate_per_s)
            if tokens >= 1.0:
                self._remember(client, (tokens - 1.0, now))
                return 0.0
            self._remember(client, (tokens, now))
            return (1.0 - tokens) / self.rate_per_s

    def _remember(self, client: str, state: tuple[float, float]) -> None:
        if len(self._buckets) >= self.max_clients and client not in self._buckets:
            self._buckets.clear()  # a flood of distinct clients: forget them all rather than grow
        self._buckets[client] = state


class RateLimitMiddleware:
    """429 with Retry-After once a client (its API key, else its IP) spends its budget on /v1 (and
    the web pages that do work)."""

    def __init__(self, app: ASGIApp, buckets: TokenBuckets, keys: list[str],
                 prefixes: tuple[str, ...] = (RATE_LIMITED_PREFIX,)):
        self.app = app
        self.buckets = buckets
        self.keys = keys
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            return await self.app(scope, receive, send)
        wait_s = self.buckets.take(self.client_of(scope))
        if wait_s <= 0:
            return await self.app(scope, receive, send)
        retry = max(1, math.ceil(wait_s))
        response = error_response(
            429, f"too many requests from this client; retry after {retry} s (the limit is "
                 f"{self.buckets.rate_per_s * 60:g} per minute with bursts of {self.buckets.burst}, "
                 "set by FOOTNOTE_RATE_LIMIT_PER_MINUTE and FOOTNOTE_RATE_LIMIT_BURST)",
            "rate_limited", scope.get("state", {}).get("request_id"), headers={"Retry-After": str(retry)})
        if "app" in scope:
            response = page_or_json(Request(scope), response)
        await response(scope, receive, send)

    def client_of(self, scope: Scope) -> str:
        """A valid key's own bucket; anything else counts against the caller's IP (so made-up
        keys cannot mint fresh budgets)."""
        key = presented_key(Headers(scope=scope))
        if key and valid_key(key, self.keys):
            return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
        client = scope.get("client")
        return "ip:" + (client[0] if client else "unknown")
