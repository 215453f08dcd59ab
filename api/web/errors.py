"""What a web page answers with when it cannot show what was asked: a page that says why and
what to do (WebError), or the way to the sign-in form (SignInNeeded)."""

from __future__ import annotations


class WebError(Exception):
    """Rendered as an error page with this status; the message names the input and the fix."""

    def __init__(self, status: int, message: str, back: str = "/"):
        super().__init__(message)
        self.status = status
        self.message = message
        self.back = back  # where the page's "go back" link leads


class SignInNeeded(Exception):
    """Reading needs a key (FOOTNOTE_READ_REQUIRES_KEY): the visitor is sent to sign in, then to `next`."""

    def __init__(self, next_path: str):
        super().__init__(next_path)
        self.next_path = next_path
