"""API keys: where a request presents one, constant-time checks, and the dependencies that
guard writing (always) and reading (when FOOTNOTE_READ_REQUIRES_KEY is set)."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers

from api.errors import ApiError

# Declared for the OpenAPI document (the "Authorize" button in /docs); checked below by hand
# so that a missing key is 401 and a wrong one 403, in the one error shape.
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)
_bearer = HTTPBearer(auto_error=False)


def presented_key(headers: Headers) -> str | None:
    """The key in `X-API-Key`, else in `Authorization: Bearer`, else None."""
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def valid_key(key: str, keys: list[str]) -> bool:
    """Whether `key` is one of `keys`, compared in constant time against every one of them."""
    given = key.encode()
    matched = False
    for known in keys:
        matched |= hmac.compare_digest(given, known.encode())
    return matched


def holds_key(request: Request) -> bool:
    """Whether the request presents one of this server's API keys (what it may be shown beyond
    what anyone may read: the server's own paths)."""
    keys = request.app.state.settings.key_values()
    key = presented_key(request.headers)
    return key is not None and bool(keys) and valid_key(key, keys)


def without_paths(request: Request, text: str) -> str:
    """`text` with the server's own folders named by what they are (the index folder, the corpus
    folder), unless the caller holds a key: an anonymous reader learns nothing of the disk."""
    if holds_key(request):
        return text
    settings = request.app.state.settings
    forms = {}
    for path, name in ((settings.index, "the index folder"), (settings.corpus, "the corpus folder")):
        for form in (str(path), str(Path(path).resolve())):
            forms[form] = name
    for form in sorted(forms, key=len, reverse=True):  # a folder inside another is named first
        text = text.replace(form, forms[form])
    return text


def check_key(request: Request, purpose: str) -> None:
    keys = request.app.state.settings.key_values()
    key = presented_key(request.headers)
    if key is None:
        raise ApiError(401, f"{purpose} needs an API key; send it as `X-API-Key: KEY` or "
                            "`Authorization: Bearer KEY`", "missing_api_key",
                       headers={"WWW-Authenticate": 'Bearer realm="footnote"'})
    if not keys:
        raise ApiError(403, f"{purpose} is disabled: this server has no API keys; "
                            "set FOOTNOTE_API_KEYS='[\"a-long-random-key\"]' and restart it", "writes_disabled")
    if not valid_key(key, keys):
        raise ApiError(403, "the API key is not valid for this server; check it against FOOTNOTE_API_KEYS",
                       "invalid_api_key")


async def require_writer(request: Request,
                         _key: Annotated[str | None, Depends(_api_key_header)] = None,
                         _bearer_token: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
                         ) -> None:
    check_key(request, f"{request.method} {request.url.path}")


async def require_reader(request: Request,
                         _key: Annotated[str | None, Depends(_api_key_header)] = None,
                         _bearer_token: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
                         ) -> None:
    if request.app.state.settings.read_requires_key:
        check_key(request, "reading (FOOTNOTE_READ_REQUIRES_KEY is set)")


Writer = Depends(require_writer)
Reader = Depends(require_reader)
