"""Who is visiting the web pages, under the API's rules (api/security.py): reading is open unless
FOOTNOTE_READ_REQUIRES_KEY is set, writing always needs one of FOOTNOTE_API_KEYS.

A visitor signs in by typing a key once. The browser then keeps a session cookie made *from*
the key, never the key itself: `<issued>.<nonce>.<HMAC(key, issued.nonce)>`, HttpOnly and SameSite=Strict,
valid for 12 hours, checked against every configured key in constant time. It holds across
restarts and worker processes, and removing a key from FOOTNOTE_API_KEYS ends its sessions.
Signing out ends the session on the server too: its token is listed in `web-sessions.sqlite` in
the index folder (which every worker reads) until it would have expired, so a copied cookie is
worth nothing after sign-out. Each session has its own CSRF token (another HMAC of
the key) that every write form carries; forms must also come from this site (Origin)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from api.security import presented_key, valid_key
from api.web.errors import SignInNeeded, WebError

COOKIE = "footnote_session"
SESSION_S = 12 * 3600
CLOCK_SKEW_S = 60
SIGNED_OUT_FILE = "web-sessions.sqlite"  # in the index folder


def _mac(key: str, purpose: str, session: str) -> str:
    return hmac.new(key.encode(), f"footnote-web:{purpose}:{session}".encode(), hashlib.sha256).hexdigest()


def session_token(key: str, issued: int, nonce: str | None = None) -> str:
    """The cookie value for a session opened with `key` at `issued` (seconds since the epoch);
    the random nonce keeps two sessions opened in the same second apart (one can end alone)."""
    session = f"{issued}.{nonce or secrets.token_hex(8)}"
    return f"{session}.{_mac(key, 'session', session)}"


def key_of_session(token: str, keys: list[str], now: int) -> tuple[str | None, str]:
    """(the key behind a live session token, the session's `issued.nonce`), or (None, "")."""
    issued_text, _, rest = token.partition(".")
    nonce, _, mac = rest.partition(".")
    if not issued_text.isdigit() or len(issued_text) > 12 or not re.fullmatch(r"[0-9a-f]{16}", nonce):
        return None, ""
    issued = int(issued_text)
    if not now - SESSION_S <= issued <= now + CLOCK_SKEW_S:
        return None, ""
    session = f"{issued_text}.{nonce}"
    found = None
    for key in keys:  # every key is compared, matched or not
        if hmac.compare_digest(mac.encode(), _mac(key, "session", session).encode()):
            found = key
    return (found, session) if found else (None, "")


@dataclass(frozen=True)
class Visitor:
    key: str | None = None  # the API key behind the session; never sent back to the browser
    session: str = ""  # the session's `issued.nonce`
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
        return _mac(self.key, "csrf", self.session) if self.key else ""


def visitor_from(request: Request) -> Visitor:
    """The visitor of a request: from its session cookie, else from an API key in its headers."""
    settings = request.app.state.settings
    keys = settings.key_values()
    common = {"read_requires_key": settings.read_requires_key, "writes_enabled": bool(keys)}
    token = request.cookies.get(COOKIE, "")
    key, session = key_of_session(token, keys, int(time.time()))
    if key is not None and not signed_out(Path(settings.index), token):
        return Visitor(key, session, **common)
    presented = presented_key(request.headers)
    if presented and valid_key(presented, keys):
        return Visitor(presented, "", via_header=True, **common)
    return Visitor(**common)


def _signed_out_db(index_dir: Path) -> sqlite3.Connection:
    db = sqlite3.connect(index_dir / SIGNED_OUT_FILE, timeout=5)
    db.execute("CREATE TABLE IF NOT EXISTS signed_out (token TEXT PRIMARY KEY, expires INTEGER NOT NULL)")
    return db


def sign_out_session(index_dir: Path, token: str, session: str, now: int) -> None:
    """List the session `token` as ended until it would have expired; forget the expired ones."""
    index_dir.mkdir(parents=True, exist_ok=True)
    expires = int(session.split(".")[0]) + SESSION_S + CLOCK_SKEW_S
    with _signed_out_db(index_dir) as db:
        db.execute("INSERT OR REPLACE INTO signed_out VALUES (?, ?)", (token, expires))
        db.execute("DELETE FROM signed_out WHERE expires < ?", (now,))
    db.close()


def signed_out(index_dir: Path, token: str) -> bool:
    """Whether the session `token` was signed out (no file: nobody has signed out yet)."""
    if not (index_dir / SIGNED_OUT_FILE).is_file():
        return False
    db = _signed_out_db(index_dir)
    try:
        return db.execute("SELECT 1 FROM signed_out WHERE token = ?", (token,)).fetchone() is not None
    finally:
        db.close()


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
