"""Who is visiting the web pages, under the API's rules (api/security.py): reading is open unless
FOOTNOTE_READ_REQUIRES_KEY is set, writing always needs one of FOOTNOTE_API_KEYS.

A visitor signs in by typing a key once. The browser then keeps a session cookie made *from*
the key, never the key itself: `<issued>.<HMAC(key, issued)>`, HttpOnly and SameSite=Strict,
valid for 12 hours, checked against every configured key in constant time. It needs no
server-side state, so it holds across restarts and worker processes, and removing a key from
FOOTNOTE_API_KEYS ends its sessions. Each session has its own CSRF token (another HMAC of
the key) that every write form carries; forms must also come from this site (Origin)."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from api.security import presented_key, valid_key
from api.web.errors import SignInNeeded, WebError

COOKIE = "footnote_session"
SESSION_S = 12 * 3600
CLOCK_SKEW_S = 60


def _mac(key: str, purpose: str, issued: int) -> str:
    return hmac.new(key.encode(), f"footnote-web:{purpose}:{issued}".encode(), hashlib.sha256).hexdigest()


def session_token(key: str, issued: int) -> str:
    """The cookie value for a session opened with `key` at `issued` (seconds since the epoch)."""
    return f"{issued}.{_mac(key, 'session', issued)}"


def key_of_session(token: str, keys: list[str], now: int) -> tuple[str | None, int]:
    """(the key behind a live session token, when it was issued), or (None, 0)."""
    issued_text, _, mac = token.partition(".")
    if not issued_text.isdigit() or len(issued_text) > 12:
        return None, 0
    issued = int(issued_text)
    if not now - SESSION_S <= issued <= now + CLOCK_SKEW_S:
        return None, 0
    found = None
    for key in keys:  # every key is compared, matched or not
        if hmac.compare_digest(mac.encode(), _mac(key, "session", issued).encode()):
            found = key
    return (found, issued) if found else (None, 0)


@dataclass(frozen=True)
class Visitor:
    key: str | None = None  # the API key behind the session; never sent back to the browser
    issued: int = 0
    via_header: bool = False  # a client that sent X-API-Key / Bearer itself (no cookie, no CSRF risk)
    read_requires_key: bool = False
    writes_enabled: bool = False  # the server has API keys at all

    @property
    def signed_in(self) -> bool:
        return self.key is not None

    @property
    def can_read(self) -> bool:
        return self.signed_in or not self.read_requires_key

    @property
    def csrf(self) -> str:
        """The token write forms carry; tied to this session."""
        return _mac(self.key, "csrf", self.issued) if self.key else ""


def visitor_from(request: Request) -> Visitor:
    """The visitor of a request: from its session cookie, else from an API key in its headers."""
    settings = request.app.state.settings
    keys = settings.key_values()
    common = {"read_requires_key": settings.read_requires_key, "writes_enabled": bool(keys)}
    key, issued = key_of_session(request.cookies.get(COOKIE, ""), keys, int(time.time()))
    if key is not None:
        return Visitor(key, issued, **common)
    presented = presented_key(request.headers)
    if presented and valid_key(presented, keys):
        return Visitor(presented, 0, via_header=True, **common)
    return Visitor(**common)


async def require_reader(request: Request) -> Visitor:
    visitor = visitor_from(request)
    if not visitor.can_read:  # back to the same page after signing in (a form's page: its start)
        query = f"?{request.url.query}" if request.url.query else ""
        raise SignInNeeded(request.url.path + query if request.method == "GET" else "/")
    return visitor


async def require_writer(request: Request) -> Visitor:
    visitor = visitor_from(request)
    if not visitor.writes_enabled:
        raise WebError(403, "writing is disabled: this server has no API keys; set "
                            "FOOTNOTE_API_KEYS='[\"a-long-random-key\"]' and restart it", "/collection")
    if not visitor.signed_in:
        raise WebError(401, "this needs a write key; sign in with one of the server's API keys "
                            "(Sign in, at the top of the page) and try again", "/key?next=/collection")
    return visitor


ReaderDep = Annotated[Visitor, Depends(require_reader)]
WriterDep = Annotated[Visitor, Depends(require_writer)]


def check_same_origin(request: Request) -> None:
    """Refuse a form posted from another site. Browsers send Origin (or at least Referer) with a
    form; a client that sends neither is not a browser acting for someone else."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return
    # Hosts are compared, not schemes: behind a TLS proxy the app may see http for https.
    if urlsplit(origin).netloc.lower() != request.url.netloc.lower():
        raise WebError(403, f"a form from {origin[:100]!r} may not post to this server; use the form on "
                            f"this site's own page ({request.url.netloc})")


def check_write_form(request: Request, visitor: Visitor, form) -> None:
    """A write form must come from this site and carry its session's CSRF token."""
    check_same_origin(request)
    if visitor.via_header:
        return
    token = form.get("csrf")
    if not isinstance(token, str) or not hmac.compare_digest(token.encode(), visitor.csrf.encode()):
        raise WebError(403, "the form is out of date or did not come from this site (its CSRF token does not "
                            "match your session); reload the page and submit it again", "/collection")
